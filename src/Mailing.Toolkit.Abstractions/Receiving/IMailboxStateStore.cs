namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Keeps the position of receivers, one <see cref="MailboxState"/> per mailbox key, so a restart resumes
/// where the last run stopped. The library ships an in-memory and a file-backed store; implement this
/// interface over a database to share positions between several app instances.
/// </summary>
/// <remarks>
/// A mailbox key names one folder of one account, for example <c>pop3://user@mail.example.com:995</c> or
/// <c>imap://user@mail.example.com:993/INBOX</c>. Implementations must be safe for concurrent use.
/// </remarks>
public interface IMailboxStateStore
{
    /// <summary>Returns the state stored under <paramref name="mailboxKey"/>, or null when there is none.</summary>
    ValueTask<MailboxState?> GetAsync(string mailboxKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the state under <paramref name="mailboxKey"/> with <c>update(current)</c> atomically: concurrent
    /// updates of one key never lose each other's changes, and the new state is durable when the task completes.
    /// </summary>
    /// <param name="mailboxKey">The mailbox key.</param>
    /// <param name="update">Computes the new state from the current one (null when there is none). A store may call it more than once (optimistic concurrency), so it must have no side effects.</param>
    /// <param name="cancellationToken">Cancels the update before it is committed.</param>
    /// <returns>The state that was stored.</returns>
    ValueTask<MailboxState> UpdateAsync(string mailboxKey, Func<MailboxState?, MailboxState> update, CancellationToken cancellationToken = default);
}

/// <summary>
/// The position of a receiver in one mailbox. IMAP uses <see cref="UidValidity"/> and <see cref="LastUid"/>
/// (and <see cref="HandledIds"/> for UIDs above <see cref="LastUid"/> handled out of order); POP3 uses
/// <see cref="HandledIds"/> for the UIDLs of handled messages, pruned to those still on the server.
/// </summary>
public sealed record MailboxState
{
    /// <summary>The IMAP UIDVALIDITY the UIDs belong to; null when the protocol has none.</summary>
    public long? UidValidity { get; init; }

    /// <summary>The highest IMAP UID up to which every message was handled; 0 when none was.</summary>
    public long LastUid { get; init; }

    /// <summary>Identifiers of handled messages (POP3 UIDLs, or IMAP UIDs above <see cref="LastUid"/>).</summary>
    public IReadOnlyList<string> HandledIds { get; init; } = [];

    /// <summary>When the state was last changed, when the writer recorded it.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }
}
