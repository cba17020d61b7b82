namespace Mailing.Toolkit.Mailboxes;

/// <summary>
/// Creates and removes mail accounts on the server, as an administrator: the onboarding of a customer's support
/// address and its removal when the customer leaves. Addresses are plain <c>local@domain</c> (dot-atom local part,
/// no quotes, spaces, control characters or path characters); passwords must pass the configured policy and are
/// stored only as a hash the server verifies. A step that fails leaves nothing half done: an account whose creation
/// fails is removed again, and a deletion removes the login only after the mail is gone (and exported, when asked).
/// </summary>
public interface IMailAccountProvisioner
{
    /// <summary>Creates an account with its standard folders; an existing address throws a <see cref="MailAccountException"/>.</summary>
    Task<MailAccount> CreateAsync(NewMailAccount account, CancellationToken cancellationToken = default);

    /// <summary>Replaces the password (checked against the policy).</summary>
    Task ChangePasswordAsync(string address, string newPassword, CancellationToken cancellationToken = default);

    /// <summary>Sets the storage quota in bytes (null: unlimited) and has the server recount the usage.</summary>
    Task SetQuotaAsync(string address, long? quotaBytes, CancellationToken cancellationToken = default);

    /// <summary>Disables (logins refused, open sessions ended) or enables an account; its mail stays.</summary>
    Task SetDisabledAsync(string address, bool disabled, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an account with its mail and its server-side filters (Sieve scripts). With <paramref name="exportDirectory"/>, every message is written there first
    /// (one <c>.eml</c> file per message, a folder per mailbox); if the export fails, nothing is deleted.
    /// </summary>
    Task DeleteAsync(string address, string? exportDirectory = null, CancellationToken cancellationToken = default);

    /// <summary>The account, or null when there is none.</summary>
    Task<MailAccount?> FindAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>Every account, ordered by address.</summary>
    Task<IReadOnlyList<MailAccount>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>An account to create.</summary>
public sealed class NewMailAccount
{
    /// <summary>The address, which is also the login.</summary>
    public required string Address { get; init; }

    /// <summary>The initial password (never stored: only its hash is).</summary>
    public required string Password { get; init; }

    /// <summary>The storage quota in bytes; null for unlimited.</summary>
    public long? QuotaBytes { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Address} (quota {(QuotaBytes is { } q ? q + " bytes" : "unlimited")})";
}

/// <summary>An account on the server.</summary>
/// <param name="Address">The address and login.</param>
/// <param name="QuotaBytes">The storage quota in bytes; null for unlimited.</param>
/// <param name="IsDisabled">Whether logins are refused.</param>
/// <param name="CreatedAt">When the account was created.</param>
public sealed record MailAccount(string Address, long? QuotaBytes, bool IsDisabled, DateTimeOffset CreatedAt);

/// <summary>An account operation failed: the account exists already or does not exist, or the server or database refused a step.</summary>
public sealed class MailAccountException : MailboxException
{
    /// <summary>Creates an exception with a message only.</summary>
    public MailAccountException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public MailAccountException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the account.</summary>
    public MailAccountException(string message, string address, Exception? innerException = null)
        : base(message, innerException)
    {
        Address = address;
    }

    /// <summary>The account the operation was about.</summary>
    public string? Address { get; }
}
