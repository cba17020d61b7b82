namespace Mailing.Toolkit.Sqlite;

/// <summary>How <c>UseSqlite</c> stores the library's state.</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>
    /// The Microsoft.Data.Sqlite connection string; <c>UseSqlite(path)</c> sets it to <c>Data Source=path</c>. The file is
    /// created when missing; its folder must exist.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Prefix of every table name (lower-case letters, digits, underscores). Default <c>mailing_</c>.</summary>
    public string TablePrefix { get; set; } = "mailing_";

    /// <summary>Whether the schema scripts are applied at start (default). When false, the stores only check the recorded version.</summary>
    public bool ApplyMigrations { get; set; } = true;

    /// <summary>The stores SQLite backs; the others keep their registrations. Default <see cref="MailingStores.All"/>.</summary>
    public MailingStores Stores { get; set; } = MailingStores.All;
}
