using MimeKit;

namespace Mailing.Toolkit;

/// <summary>
/// Sends email. Resolve it from DI after <c>services.AddMailing().AddSmtpSender()</c> (or another
/// sender); several senders are keyed services (<c>[FromKeyedServices("marketing")]</c>).
/// Implementations are safe to call from many threads at once.
/// </summary>
public interface IMailSender
{
    /// <summary>Sends a message built with <see cref="MailMessage"/>.</summary>
    /// <returns>The Message-ID and per-recipient results; recipients the server refused are in <see cref="SendResult.Rejected"/>.</returns>
    /// <exception cref="MailDeliveryException">No recipient accepted the message, or sending failed after the configured retries.</exception>
    /// <exception cref="ArgumentException">The message is invalid (no From, no recipient, an unsafe header).</exception>
    Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken = default);

    /// <summary>Sends a MimeKit message, optionally with an explicit envelope (for example the null reverse path of an automatic reply).</summary>
    /// <param name="message">The message; it is not modified except for a missing From (the default) and a missing Message-ID.</param>
    /// <param name="envelope">The SMTP envelope, or <see langword="null"/> to derive it from the headers.</param>
    /// <param name="cancellationToken">Cancels the send; a send cancelled after the end of the data may still have been delivered.</param>
    /// <exception cref="MailDeliveryException">No recipient accepted the message, or sending failed after the configured retries.</exception>
    /// <exception cref="ArgumentException">The message is invalid (no From, no recipient, an unsafe header).</exception>
    Task<SendResult> SendAsync(MimeMessage message, MailEnvelope? envelope = null, CancellationToken cancellationToken = default);
}
