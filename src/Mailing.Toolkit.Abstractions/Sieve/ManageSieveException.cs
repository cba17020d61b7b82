using Mailing.Toolkit.Mailboxes;

namespace Mailing.Toolkit.Sieve;

/// <summary>
/// A ManageSieve command failed: the server refused it (<see cref="ResponseCode"/> and
/// <see cref="MailboxException.ServerResponse"/> hold its answer), answered something that is not ManageSieve, or
/// the connection failed (<see cref="Exception.InnerException"/> holds the cause).
/// </summary>
public sealed class ManageSieveException : MailboxException
{
    /// <summary>Creates an exception with a message only.</summary>
    public ManageSieveException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public ManageSieveException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a refused command, with the server's response code and text.</summary>
    public ManageSieveException(string message, string? responseCode, string? serverResponse, Exception? innerException = null)
        : base(message, null, serverResponse, innerException)
    {
        ResponseCode = responseCode;
    }

    /// <summary>
    /// The response code of the refusal, upper case, for example <c>NONEXISTENT</c>, <c>ACTIVE</c>, <c>ALREADYEXISTS</c>,
    /// <c>QUOTA/MAXSIZE</c>, <c>QUOTA/MAXSCRIPTS</c>, <c>TRYLATER</c> or <c>ENCRYPT-NEEDED</c>; null when the server sent none.
    /// </summary>
    public string? ResponseCode { get; }
}
