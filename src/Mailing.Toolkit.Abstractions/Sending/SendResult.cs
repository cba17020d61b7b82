namespace Mailing.Toolkit;

/// <summary>What happened to one recipient of a send.</summary>
/// <param name="Address">The envelope recipient.</param>
/// <param name="Accepted">Whether the server accepted the recipient.</param>
/// <param name="ReplyCode">The SMTP reply code (for example 250, 451, 550); 0 when no server was involved.</param>
/// <param name="EnhancedStatusCode">The RFC 3463 status (for example <c>5.1.1</c>), when the server sent one.</param>
/// <param name="Response">The server's reply text.</param>
public sealed record RecipientResult(string Address, bool Accepted, int ReplyCode, string? EnhancedStatusCode, string? Response)
{
    /// <summary>A 4yz rejection: the same recipient may succeed later.</summary>
    public bool IsTransientFailure => !Accepted && ReplyCode is >= 400 and < 500;
}

/// <summary>The outcome of a successful send: at least one recipient accepted the message.</summary>
public sealed class SendResult
{
    /// <summary>Creates a result.</summary>
    public SendResult(string messageId, IReadOnlyList<RecipientResult> recipients, string server, int attempts, string? response = null)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        MessageId = messageId;
        Recipients = recipients;
        Server = server;
        Attempts = attempts;
        Response = response;
    }

    /// <summary>The Message-ID of the message sent, without angle brackets.</summary>
    public string MessageId { get; }

    /// <summary>Every envelope recipient with its result.</summary>
    public IReadOnlyList<RecipientResult> Recipients { get; }

    /// <summary>The recipients the server accepted.</summary>
    public IEnumerable<RecipientResult> Accepted => Recipients.Where(r => r.Accepted);

    /// <summary>The recipients the server refused; the message was delivered to the others.</summary>
    public IEnumerable<RecipientResult> Rejected => Recipients.Where(r => !r.Accepted);

    /// <summary>Where the message went: <c>host:port</c> for SMTP, a folder for Maildir, <c>memory</c> for the in-memory sender.</summary>
    public string Server { get; }

    /// <summary>How many attempts the send took (1 when the first one succeeded).</summary>
    public int Attempts { get; }

    /// <summary>
    /// The SMTP server's reply text to the end of the message data, without the code (for example
    /// <c>2.0.0 Ok: queued as ABC</c>); the file written for the Maildir sender.
    /// </summary>
    public string? Response { get; }
}
