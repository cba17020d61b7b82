namespace Mailing.Toolkit.Mailboxes;

/// <summary>
/// A mailbox operation failed: the server refused the command (<see cref="ServerResponse"/> holds its
/// answer), the folder does not exist, the server lacks the extension the operation needs (ACL, QUOTA),
/// or the connection could not be opened (<see cref="Exception.InnerException"/> holds the cause).
/// </summary>
public class MailboxException : Exception
{
    /// <summary>Creates an exception with a message only.</summary>
    public MailboxException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public MailboxException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the folder and quoting the server's answer.</summary>
    public MailboxException(string message, string? folder, string? serverResponse, Exception? innerException = null)
        : base(message, innerException)
    {
        Folder = folder;
        ServerResponse = serverResponse;
    }

    /// <summary>The folder the operation was about (levels separated by <c>/</c>), when there is one.</summary>
    public string? Folder { get; }

    /// <summary>The text of the server's refusal (for example <c>Mailbox doesn't exist: Archive</c>), when it sent one.</summary>
    public string? ServerResponse { get; }
}

/// <summary>
/// The server refused to store a message because a quota would be exceeded (IMAP <c>[OVERQUOTA]</c>, RFC 9208):
/// free space (delete or expunge messages) or raise the limit. Nothing was stored.
/// </summary>
public sealed class MailboxQuotaExceededException : MailboxException
{
    /// <summary>Creates an exception with a message only.</summary>
    public MailboxQuotaExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public MailboxQuotaExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the folder, the quota when it could be read, and the server's answer.</summary>
    public MailboxQuotaExceededException(string message, string folder, MailQuota? quota, string? serverResponse, Exception? innerException = null)
        : base(message, folder, serverResponse, innerException)
    {
        Quota = quota;
    }

    /// <summary>The quota of the folder's quota root as read right after the refusal, or <see langword="null"/> when it could not be read.</summary>
    public MailQuota? Quota { get; }
}
