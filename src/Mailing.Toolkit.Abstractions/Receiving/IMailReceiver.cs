namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Yields messages that arrived since the last position and is told when each one was handled.
/// Delivery is at-least-once: a message is disposed of (seen, moved, deleted) only after
/// <see cref="AcknowledgeAsync"/>.
/// </summary>
public interface IMailReceiver
{
    /// <summary>Returns the messages that arrived since the last acknowledged position.</summary>
    IAsyncEnumerable<ReceivedMail> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>Records that a message was handled and applies its disposition.</summary>
    Task AcknowledgeAsync(ReceivedMail mail, MailDisposition disposition, CancellationToken cancellationToken = default);
}

/// <summary>A message fetched by an <see cref="IMailReceiver"/>.</summary>
public abstract class ReceivedMail
{
    /// <summary>An identifier unique within the mailbox (IMAP UIDVALIDITY:UID, POP3 UIDL, Maildir unique name).</summary>
    public required string Id { get; init; }

    /// <summary>The mailbox or folder it came from.</summary>
    public required string Mailbox { get; init; }

    /// <summary>When the server received it, when known.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    /// <summary>The size of the raw message in bytes, when known.</summary>
    public long? Size { get; init; }

    /// <summary>Opens the raw RFC 5322 bytes.</summary>
    public abstract ValueTask<Stream> OpenReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>What to do with a message once it was handled.</summary>
public sealed record MailDisposition
{
    private MailDisposition(MailDispositionKind kind, string? folder)
    {
        Kind = kind;
        Folder = folder;
    }

    /// <summary>The action.</summary>
    public MailDispositionKind Kind { get; }

    /// <summary>The destination folder for <see cref="MailDispositionKind.Move"/>.</summary>
    public string? Folder { get; }

    /// <summary>Mark the message seen and leave it where it is.</summary>
    public static MailDisposition MarkSeen { get; } = new(MailDispositionKind.MarkSeen, null);

    /// <summary>Delete the message.</summary>
    public static MailDisposition Delete { get; } = new(MailDispositionKind.Delete, null);

    /// <summary>Move the message to a folder.</summary>
    /// <exception cref="ArgumentException">The folder name is empty or contains CR, LF or NUL.</exception>
    public static MailDisposition MoveTo(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return new(MailDispositionKind.Move, HeaderSafety.EnsureSingleLine(folder, "Folder name", nameof(folder)));
    }
}

/// <summary>The kinds of <see cref="MailDisposition"/>.</summary>
public enum MailDispositionKind
{
    /// <summary>Mark seen.</summary>
    MarkSeen,

    /// <summary>Move to a folder.</summary>
    Move,

    /// <summary>Delete.</summary>
    Delete,
}
