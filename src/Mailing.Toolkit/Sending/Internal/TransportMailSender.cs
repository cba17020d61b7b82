using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// The sender <c>AddTransport&lt;T&gt;()</c> registers: the shared pipeline, telemetry and logs of
/// <see cref="MailSenderBase"/> around a user's <see cref="IMailTransport"/>, held to <see cref="IMailSender"/>'s contract.
/// </summary>
internal sealed class TransportMailSender(
    IMailTransport transport, string? name, OutgoingMailPipeline pipeline, SendingTelemetry telemetry, TimeProvider timeProvider, ILogger logger)
    : MailSenderBase(TransportName(transport), name, pipeline, telemetry, timeProvider, logger)
{
    protected override async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        var result = await transport.DeliverAsync(mail, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The mail transport {transport.GetType().Name} returned no SendResult; return one, or throw a MailDeliveryException when the message was not delivered.");

        // A SendResult means at least one recipient accepted the message, as for the built-in senders.
        foreach (var recipient in result.Recipients)
        {
            if (recipient.Accepted)
                return result;
        }

        var first = result.Recipients.Count > 0 ? result.Recipients[0] : null;
        throw new MailDeliveryException(
            $"The {Transport} transport accepted none of the {result.Recipients.Count} recipient(s) of message {result.MessageId}.",
            "recipients_rejected",
            first?.ReplyCode ?? 0,
            first?.EnhancedStatusCode,
            isTransient: result.Recipients.Count > 0 && result.Recipients.All(r => r.IsTransientFailure),
            maybeDelivered: false,
            result.Recipients,
            result.Server,
            result.Attempts);
    }

    private static string TransportName(IMailTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var transportName = transport.Name;
        return string.IsNullOrWhiteSpace(transportName)
            ? throw new InvalidOperationException($"The mail transport {transport.GetType().Name} has no Name; return a short lowercase name such as \"ses\", used in logs and telemetry.")
            : transportName;
    }
}
