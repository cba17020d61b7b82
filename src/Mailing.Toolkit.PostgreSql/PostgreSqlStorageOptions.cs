using Npgsql;

namespace Mailing.Toolkit.PostgreSql;

/// <summary>How <c>UsePostgreSql</c> stores the library's state.</summary>
public sealed class PostgreSqlStorageOptions
{
    /// <summary>The Npgsql connection string; ignored when <see cref="DataSource"/> is set. Its password is never logged.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>An <see cref="NpgsqlDataSource"/> to use instead of one built from <see cref="ConnectionString"/>; the application owns it.</summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>The schema of the tables, created when missing (lower-case letters, digits, underscores). Default <c>mailing</c>.</summary>
    public string Schema { get; set; } = "mailing";

    /// <summary>Prefix of every table name inside the schema; default none.</summary>
    public string TablePrefix { get; set; } = string.Empty;

    /// <summary>Whether the schema scripts are applied at start (default). When false, the stores only check the recorded version.</summary>
    public bool ApplyMigrations { get; set; } = true;

    /// <summary>The stores PostgreSQL backs; the others keep their registrations. Default <see cref="MailingStores.All"/>.</summary>
    public MailingStores Stores { get; set; } = MailingStores.All;
}
