using MimeKit;

namespace Mailing.Toolkit.Testing;

/// <summary>
/// Records messages in an <see cref="InMemoryOutbox"/>. Registered with the public <c>AddTransport</c>, so the
/// sender around it runs the same pipeline (default From, filters, header checks, telemetry) as the real ones.
/// </summary>
internal sealed class InMemoryMailTransport(InMemoryOutbox outbox, TimeProvider timeProvider) : IMailTransport
{
    public string Name => "memory";

    public async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        // Keep a parsed copy, as a server receives it (no Bcc header): the caller may dispose its message
        // (and the attachment streams) right after sending. Bcc recipients are in the envelope.
        using var buffer = new MemoryStream();
        await mail.WriteToAsync(buffer, cancellationToken).ConfigureAwait(false);
        buffer.Position = 0;
        var copy = await MimeMessage.LoadAsync(buffer, cancellationToken).ConfigureAwait(false);

        outbox.Add(new SentMail(copy, mail.Envelope, mail.SenderName, timeProvider.GetUtcNow()));
        var recipients = mail.Envelope.Recipients.Select(r => new RecipientResult(r.Address, true, 0, null, null)).ToArray();
        return new SendResult(mail.Message.MessageId ?? string.Empty, recipients, "memory", 1);
    }
}
