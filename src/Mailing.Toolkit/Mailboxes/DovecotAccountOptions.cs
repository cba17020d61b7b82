using System.Data.Common;

namespace Mailing.Toolkit.Mailboxes;

/// <summary>
/// Accounts in a SQL table that Dovecot reads as its passdb and userdb (SQLite or PostgreSQL; see
/// docs/administration.md for the Dovecot side), plus the doveadm HTTP API for what lives in the mail store (folders,
/// quota recount, expunge, kicking sessions). Bound from <c>Mailing:Accounts</c>; <see cref="ConnectionFactory"/> is
/// set in code.
/// </summary>
public sealed class DovecotAccountOptions
{
    /// <summary>Opens a new (closed) connection to the database Dovecot reads, for example <c>() =&gt; new SqliteConnection(...)</c> or <c>dataSource.CreateConnection</c>. Required.</summary>
    public Func<DbConnection>? ConnectionFactory { get; set; }

    /// <summary>The accounts table (created when missing): letters, digits and underscores. Default <c>mail_users</c>.</summary>
    public string Table { get; set; } = "mail_users";

    /// <summary>The doveadm HTTP API, for example <c>https://mail.example.com:8080/doveadm/v1</c>. Plain HTTP is refused except to a loopback address. Required.</summary>
    public Uri? DoveadmUrl { get; set; }

    /// <summary>Dovecot's <c>doveadm_api_key</c>: a secret, never logged. Required.</summary>
    public string? DoveadmApiKey { get; set; }

    /// <summary>How long one doveadm API call may take. Default 30 seconds.</summary>
    public TimeSpan DoveadmTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Folders made (and subscribed) for a new account; their special use comes from the server's namespace configuration.</summary>
    public IList<string> DefaultFolders { get; set; } = ["Sent", "Drafts", "Trash", "Junk", "Archive"];

    /// <summary>The prefix of the shared namespace (folders other accounts share): skipped when an account is exported and deleted. Default <c>shared/</c>; empty when there is none.</summary>
    public string SharedNamespacePrefix { get; set; } = "shared/";

    /// <summary>SHA512-CRYPT rounds of each password hash (1,000 to 999,999,999). Default 100,000.</summary>
    public int PasswordHashRounds { get; set; } = 100_000;

    /// <summary>The largest quota accepted, in bytes. Default 1 TiB; anything above is taken for a mistake.</summary>
    public long MaxQuotaBytes { get; set; } = 1L << 40;

    /// <summary>What a password must be.</summary>
    public MailPasswordPolicy PasswordPolicy { get; set; } = new();
}

/// <summary>The rules a new password must pass; a password that fails gets an <see cref="ArgumentException"/> saying which rule.</summary>
public sealed class MailPasswordPolicy
{
    /// <summary>Minimum length in characters. Default 12.</summary>
    public int MinLength { get; set; } = 12;

    /// <summary>Maximum length in characters. Default 256.</summary>
    public int MaxLength { get; set; } = 256;

    /// <summary>How many of lower case, upper case, digits and other characters it must mix (0 to 4). Default 3.</summary>
    public int MinCharacterClasses { get; set; } = 3;

    /// <summary>Whether a password containing the address's local part is refused. Default true.</summary>
    public bool RejectLocalPart { get; set; } = true;
}
