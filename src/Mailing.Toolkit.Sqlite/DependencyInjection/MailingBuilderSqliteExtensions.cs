using Mailing.Toolkit;
using Mailing.Toolkit.Sqlite;
using Mailing.Toolkit.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Backs the library's stores with SQLite.</summary>
public static class MailingBuilderSqliteExtensions
{
    /// <summary>
    /// Stores the outbox, the auto-reply history, receiver positions, the suppression list and inbound de-duplication in the SQLite database
    /// <paramref name="databasePath"/> (created when missing), applying the schema at start. Several processes on one
    /// machine may share the file; instances on several machines need <c>UsePostgreSql</c>.
    /// </summary>
    /// <param name="builder">The mailing builder.</param>
    /// <param name="databasePath">The database file, or a full connection string starting with <c>Data Source=</c>.</param>
    /// <param name="configure">Changes the table prefix, the stores backed, or turns migrations off.</param>
    public static IMailingBuilder UseSqlite(this IMailingBuilder builder, string databasePath, Action<SqliteStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var options = new SqliteStorageOptions
        {
            ConnectionString = databasePath.TrimStart().StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase)
                ? databasePath
                : $"Data Source={databasePath}",
        };
        configure?.Invoke(options);
        // Checked now: a bad prefix or connection string fails at composition, naming what is wrong.
        var dialect = new SqliteDialect(options);
        SqlStorageServices.Add(builder.Services, options.Stores, options.ApplyMigrations, _ => dialect);
        return builder;
    }
}
