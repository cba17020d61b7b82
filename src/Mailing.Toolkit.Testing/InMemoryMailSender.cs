using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Testing;

/// <summary>Records messages in an <see cref="InMemoryOutbox"/> after the same pipeline (default From, filters) real senders run.</summary>
internal sealed class InMemoryMailSender(
    string? name, InMemoryOutbox outbox, OutgoingMailPipeline pipeline, SendingTelemetry telemetry, TimeProvider timeProvider, ILogger<InMemoryMailSender> logger)
    : MailSenderBase("memory", name, pipeline, telemetry, timeProvider, logger)
{

    protected override async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        // Keep a parsed copy, as a server receives it (no Bcc header): the caller may dispose its message
        // (and the attachment streams) right after sending. Bcc recipients are in the envelope.
        using var buffer = new MemoryStream();
        await mail.Message.WriteToAsync(WireFormats.Network, buffer, cancellationToken).ConfigureAwait(false);
        buffer.Position = 0;
        var copy = await MimeMessage.LoadAsync(buffer, cancellationToken).ConfigureAwait(false);

        outbox.Add(new SentMail(copy, mail.Envelope, Name, TimeProvider.GetUtcNow()));
        var recipients = mail.Envelope.Recipients.Select(r => new RecipientResult(r.Address, true, 0, null, null)).ToArray();
        return new SendResult(mail.Message.MessageId ?? string.Empty, recipients, "memory", 1);
    }
}
