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
/// Where an <see cref="IOutgoingMailFilter"/> runs in the outgoing pipeline. Filters run by ascending stage, and in
/// registration order within one stage, whatever order they were registered in: a signature made at
/// <see cref="Signature"/> covers the message as every content and encryption filter left it.
/// </summary>
/// <remarks>
/// The values leave room between them: a filter may return a value of its own, such as
/// <c>(OutgoingMailFilterStage)150</c>, to run after encryption and before signatures.
/// </remarks>
public enum OutgoingMailFilterStage
{
    /// <summary>The default: filters that change headers, body or envelope (redirect, tagging, templates, footers).</summary>
    Content = 0,

    /// <summary>Filters that encrypt or sign the content itself (S/MIME, OpenPGP); after every content filter.</summary>
    Encryption = 100,

    /// <summary>Filters that sign the message as it goes on the wire (DKIM); last, after every other filter.</summary>
    Signature = 200,
}

/// <summary>
/// Runs before any transport, on every message sent through any <see cref="IMailSender"/> of the container: by
/// ascending <see cref="Stage"/>, then in registration order. Register with <c>AddOutgoingFilter&lt;T&gt;()</c>.
/// </summary>
public interface IOutgoingMailFilter
{
    /// <summary>
    /// The stage this filter runs in; <see cref="OutgoingMailFilterStage.Content"/> unless it says otherwise. It is read
    /// once, when the pipeline is built, so it must not change.
    /// </summary>
    OutgoingMailFilterStage Stage => OutgoingMailFilterStage.Content;

    /// <summary>Inspects or changes the message; throw to stop the send.</summary>
    ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken);
}
