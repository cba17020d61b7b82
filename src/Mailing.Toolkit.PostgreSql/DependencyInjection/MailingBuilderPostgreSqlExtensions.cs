using Mailing.Toolkit;
using Mailing.Toolkit.PostgreSql;
using Mailing.Toolkit.Storage;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Backs the library's stores with PostgreSQL, shared by every instance of the application.</summary>
public static class MailingBuilderPostgreSqlExtensions
{
    /// <summary>
    /// Stores the outbox, the auto-reply history, receiver positions, the suppression list and inbound de-duplication in PostgreSQL
    /// (schema <c>mailing</c> by default, created with the tables at start).
    /// </summary>
    /// <param name="builder">The mailing builder.</param>
    /// <param name="connectionString">The Npgsql connection string. Its password is never logged.</param>
    /// <param name="configure">Changes the schema, the table prefix, the stores backed, or turns migrations off.</param>
    public static IMailingBuilder UsePostgreSql(this IMailingBuilder builder, string connectionString, Action<PostgreSqlStorageOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return UsePostgreSql(builder, o =>
        {
            o.ConnectionString = connectionString;
            configure?.Invoke(o);
        });
    }

    /// <summary>
    /// Stores the library's state in PostgreSQL as configured by <paramref name="configure"/>: a connection string, an
    /// <see cref="NpgsqlDataSource"/> of the application's, or neither, in which case the <see cref="NpgsqlDataSource"/>
    /// registered in the container is used (for example by <c>AddNpgsqlDataSource</c>).
    /// </summary>
    public static IMailingBuilder UsePostgreSql(this IMailingBuilder builder, Action<PostgreSqlStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgreSqlStorageOptions();
        configure(options);
        SqlDialect.CheckIdentifier(options.Schema, "Schema", allowEmpty: false);
        SqlDialect.CheckIdentifier(options.TablePrefix, "TablePrefix", allowEmpty: true);
        var services = builder.Services;
        if (options.DataSource is null && options.ConnectionString is { } connectionString)
        {
            // Parsed now, so a malformed connection string fails at composition; the data source is built (and
            // disposed) by the container.
            _ = new NpgsqlConnectionStringBuilder(connectionString);
            services.AddSingleton(new OwnedDataSource(connectionString));
        }

        SqlStorageServices.Add(services, options.Stores, options.ApplyMigrations, sp => new PostgreSqlDialect(
            options.DataSource
                ?? (options.ConnectionString is not null ? sp.GetRequiredService<OwnedDataSource>().DataSource : null)
                ?? sp.GetService<NpgsqlDataSource>()
                ?? throw new InvalidOperationException("UsePostgreSql needs a connection string, a DataSource, or an NpgsqlDataSource registered in the container."),
            options));
        return builder;
    }

    /// <summary>The data source built from a connection string, disposed with the container.</summary>
    private sealed class OwnedDataSource(string connectionString) : IDisposable
    {
        private readonly Lazy<NpgsqlDataSource> dataSource = new(() => NpgsqlDataSource.Create(connectionString));

        public NpgsqlDataSource DataSource => dataSource.Value;

        public void Dispose()
        {
            if (dataSource.IsValueCreated)
                dataSource.Value.Dispose();
        }
    }
}
