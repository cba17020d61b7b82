namespace Mailing.Toolkit;

/// <summary>
/// A message could not be sent. It says what failed and whether trying again can help:
/// <see cref="IsTransient"/> for 4yz replies, dropped connections and timeouts (retries were already made),
/// <see cref="MaybeDelivered"/> when the connection failed after the end of the data, so the
/// server may have taken the message and sending it again could duplicate it.
/// </summary>
public sealed class MailDeliveryException : Exception
{
    /// <summary>Creates an exception with a message only.</summary>
    public MailDeliveryException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public MailDeliveryException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Recipients = [];
        ErrorType = "unknown";
    }

    /// <summary>Creates an exception with every detail of the failure.</summary>
    public MailDeliveryException(
        string message,
        string errorType,
        int replyCode,
        string? enhancedStatusCode,
        bool isTransient,
        bool maybeDelivered,
        IReadOnlyList<RecipientResult>? recipients,
        string? server,
        int attempts,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorType = errorType;
        ReplyCode = replyCode;
        EnhancedStatusCode = enhancedStatusCode;
        IsTransient = isTransient;
        MaybeDelivered = maybeDelivered;
        Recipients = recipients ?? [];
        Server = server;
        Attempts = attempts;
    }

    /// <summary>
    /// A short, stable classification used in logs and the <c>error.type</c> metric attribute:
    /// <c>rejected</c> (the server refused the sender, the message or the session), <c>recipients_rejected</c>
    /// (every recipient was refused), <c>connection</c>, <c>timeout</c>, <c>protocol</c>, <c>io</c>, <c>tls</c>,
    /// <c>authentication</c> and <c>rate_limited</c>.
    /// </summary>
    public string ErrorType { get; }

    /// <summary>The SMTP reply code of the failure (for example 550), or 0 when no reply was received.</summary>
    public int ReplyCode { get; }

    /// <summary>The RFC 3463 enhanced status code (for example <c>5.7.1</c>), when the server sent one.</summary>
    public string? EnhancedStatusCode { get; }

    /// <summary>Whether the failure is temporary, so the same message may be accepted later.</summary>
    public bool IsTransient { get; }

    /// <summary>
    /// Whether the server may have accepted the message anyway (the connection failed after the end of
    /// the data). Such a send is never retried automatically.
    /// </summary>
    public bool MaybeDelivered { get; }

    /// <summary>Per-recipient results, when the server answered the recipients.</summary>
    public IReadOnlyList<RecipientResult> Recipients { get; }

    /// <summary>The server of the last attempt (<c>host:port</c>), or the folder for file-based senders.</summary>
    public string? Server { get; }

    /// <summary>How many attempts were made.</summary>
    public int Attempts { get; }
}
