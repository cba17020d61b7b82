using MimeKit;

namespace Mailing.Toolkit;

/// <summary>A message on its way out, as seen by <see cref="IOutgoingMailFilter"/>s.</summary>
public sealed class OutgoingMail
{
    /// <summary>The format of <see cref="WriteToAsync"/>; never changed after it is created.</summary>
    private static readonly FormatOptions WireFormat = CreateWireFormat();

    /// <summary>Creates the context for one send.</summary>
    public OutgoingMail(MimeMessage message, MailEnvelope envelope, string? senderName)
    {
        Message = message ?? throw new ArgumentNullException(nameof(message));
        Envelope = envelope ?? throw new ArgumentNullException(nameof(envelope));
        SenderName = senderName;
    }

    /// <summary>The message; filters may change its headers and body.</summary>
    public MimeMessage Message { get; }

    /// <summary>The envelope; filters may replace it, for example to redirect every recipient.</summary>
    public MailEnvelope Envelope { get; set; }

    /// <summary>The key of the sender this message goes through, or <see langword="null"/> for the default sender.</summary>
    public string? SenderName { get; }

    /// <summary>
    /// Writes <see cref="Message"/> the way a server receives it over SMTP: CRLF line endings, and without the
    /// <c>Bcc</c> and <c>Resent-Bcc</c> headers (those recipients are on the <see cref="Envelope"/> only). Use it in
    /// an <see cref="IMailTransport"/> that hands the raw message on, so Bcc recipients stay hidden.
    /// </summary>
    /// <param name="stream">Where to write the message; it is not closed.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public Task WriteToAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Message.WriteToAsync(WireFormat, stream, cancellationToken);
    }

    private static FormatOptions CreateWireFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        return format;
    }
}

/// <summary>
/// Runs before any transport, in registration order, on every message sent through any
/// <see cref="IMailSender"/> of the container. Register with <c>AddOutgoingFilter&lt;T&gt;()</c>.
/// </summary>
public interface IOutgoingMailFilter
{
    /// <summary>Inspects or changes the message; throw to stop the send.</summary>
    ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken);
}
