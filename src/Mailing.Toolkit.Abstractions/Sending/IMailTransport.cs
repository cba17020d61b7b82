namespace Mailing.Toolkit;

/// <summary>
/// The last step of an <see cref="IMailSender"/>: hands a prepared message to whatever delivers it. Implement it
/// to send through a service of your own (an HTTP API, a queue, a test double) and register it with
/// <c>services.AddMailing().AddTransport&lt;MyTransport&gt;()</c>.
/// </summary>
/// <remarks>
/// <para>
/// The sender built around a transport does everything the built-in senders do before and after delivery:
/// it converts a <see cref="MailMessage"/> (with the <c>Date</c> from the container's <see cref="TimeProvider"/>),
/// fills the default From (<c>Mailing:DefaultFrom</c>) and a Message-ID, derives the envelope from the headers
/// unless the caller gave one, runs every <see cref="IOutgoingMailFilter"/> (by stage, then in registration order), rejects headers
/// that contain CR, LF or NUL, and records the <c>mailing.send</c> span, the <c>mailing.messages.sent</c>,
/// <c>mailing.messages.failed</c> and <c>mailing.send.duration</c> instruments and the send logs.
/// A transport only delivers.
/// </para>
/// <para>
/// It is called from many threads at once. It must not keep <see cref="OutgoingMail.Message"/> after it returns:
/// the caller may dispose the message (and its attachment streams) right after the send. Write the message with
/// <see cref="OutgoingMail.WriteToAsync(Stream, CancellationToken)"/>, which leaves out the Bcc headers; deliver to
/// <see cref="OutgoingMail.Envelope"/>, not to the To, Cc and Bcc headers. Retries, if any, are the transport's:
/// report them in <see cref="SendResult.Attempts"/>.
/// </para>
/// </remarks>
public interface IMailTransport
{
    /// <summary>
    /// The transport's name in logs, metrics and traces (the <c>mailing.transport</c> attribute), for example
    /// <c>ses</c>: short, lowercase and the same for every message. The built-in ones are <c>smtp</c>,
    /// <c>maildir</c> and <c>memory</c>.
    /// </summary>
    string Name { get; }

    /// <summary>Delivers <paramref name="mail"/>, after the filters ran, to the recipients of its envelope.</summary>
    /// <param name="mail">The prepared message: From and Message-ID set, envelope final, headers checked.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    /// <returns>
    /// The result <see cref="IMailSender"/> returns to its caller: the Message-ID, every envelope recipient with its
    /// outcome, and where the message went (<see cref="SendResult.Server"/>). When no recipient was accepted, the
    /// sender throws a <see cref="MailDeliveryException"/> with <c>ErrorType = "recipients_rejected"</c> instead.
    /// </returns>
    /// <exception cref="MailDeliveryException">
    /// Throw it when the message could not be delivered; its <see cref="MailDeliveryException.ErrorType"/> becomes the
    /// <c>error.type</c> attribute. Any other exception reaches the caller as it is, with its type name as <c>error.type</c>.
    /// </exception>
    Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken);
}
