using MimeKit;

namespace Mailing.Toolkit.Security;

/// <summary>
/// Asks a spam scanner what it makes of a message: rspamd (<c>AddRspamd()</c>) or SpamAssassin's spamd
/// (<c>AddSpamAssassin()</c>). The first one added is the unkeyed <see cref="ISpamClassifier"/>; each is also a keyed
/// service under its own name (<c>[FromKeyedServices("rspamd")]</c>, <c>[FromKeyedServices("spamassassin")]</c>).
/// </summary>
public interface ISpamClassifier
{
    /// <summary>
    /// Classifies one message. When the scanner is down, slow or answers garbage the configured failure mode decides:
    /// fail open returns a verdict with <see cref="SpamVerdictOrigin.Failure"/> and <see cref="SpamAction.NoAction"/>
    /// (and logs a warning); fail closed throws <see cref="SpamCheckException"/>. A message larger than the configured
    /// limit is not sent: its verdict has <see cref="SpamVerdictOrigin.Skipped"/>.
    /// </summary>
    /// <param name="message">The message as received. It is not changed.</param>
    /// <param name="context">What the receiving side knows about the message's arrival; the more, the better the verdict.</param>
    /// <param name="cancellationToken">Cancels the check; cancelling throws <see cref="OperationCanceledException"/> whatever the failure mode.</param>
    /// <exception cref="SpamCheckException">The scanner could not classify the message and the failure mode is fail closed.</exception>
    /// <exception cref="ArgumentException">A value in <paramref name="context"/> holds a CR, LF or NUL character.</exception>
    ValueTask<SpamVerdict> ClassifyAsync(MimeMessage message, SpamCheckContext? context = null, CancellationToken cancellationToken = default);
}

/// <summary>The facts about a message's arrival that a spam scanner uses beside the message itself.</summary>
public sealed class SpamCheckContext
{
    /// <summary>The client IP address, its HELO name and the envelope sender (MAIL FROM).</summary>
    public MailConnectionInfo? Connection { get; init; }

    /// <summary>The client's host name as its reverse DNS verified it, when known.</summary>
    public string? ClientHostName { get; init; }

    /// <summary>The envelope recipients (RCPT TO), in order.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>The SPF, DKIM, ARC and DMARC results computed for the message, sent to the scanner as an
    /// <c>Authentication-Results</c> header field placed above the message.</summary>
    public MailAuthenticationResults? Authentication { get; init; }

    /// <summary>The user the client authenticated as (SMTP AUTH), for mail submitted by a local user.</summary>
    public string? AuthenticatedUser { get; init; }

    /// <summary>The receiving side's own identifier of the message (an MTA queue id), for the scanner's logs; the
    /// message's Message-ID stands in when this is not set.</summary>
    public string? QueueId { get; init; }
}
