using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// For non-production environments: every message goes to one address instead of its recipients. The
/// original envelope recipients are kept in <see cref="RedirectFilterOptions.OriginalRecipientsHeader"/>;
/// To and Cc headers are left as they were so the message looks as it would have.
/// </summary>
internal sealed partial class RedirectFilter(IOptionsMonitor<RedirectFilterOptions> options, ILogger<RedirectFilter>? logger = null) : IOutgoingMailFilter
{
    public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        if (!current.Enabled)
            return ValueTask.CompletedTask;

        var target = EmailAddress.Parse(current.To);
        mail.Message.Headers.Remove(RedirectFilterOptions.OriginalRecipientsHeader);
        mail.Message.Headers.Add(
            RedirectFilterOptions.OriginalRecipientsHeader,
            string.Join(", ", mail.Envelope.Recipients.Select(r => r.Address)));
        mail.Envelope = mail.Envelope.WithRecipients([target]);
        if (logger is not null)
            LogRedirected(logger, mail.Message.MessageId ?? string.Empty);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Debug, Message = "Message {MessageId} redirected by the redirect filter")]
    private static partial void LogRedirected(ILogger logger, string messageId);
}
