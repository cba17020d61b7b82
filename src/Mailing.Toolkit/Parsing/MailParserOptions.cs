namespace Mailing.Toolkit.Parsing;

/// <summary>
/// Limits and switches of <see cref="IMailParser"/>, bound from <c>Mailing:Parsing</c>. Every limit has a safe
/// default for untrusted mail: a message that breaks a hard limit is refused with a
/// <see cref="MailParseException"/> naming the limit, before MimeKit sees it; a soft limit leaves an entry in
/// <see cref="ParsedMail.Warnings"/> and the rest of the message is still read.
/// </summary>
public sealed class MailParserOptions
{
    /// <summary>The largest message accepted, in bytes (hard). Default 50 MiB.</summary>
    public long MaxMessageSize { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// The largest header field, in bytes, its folded continuation lines included (hard). Default 64 KiB.
    /// MimeKit's time on one header field grows with the square of its length (seconds for a megabyte),
    /// so an oversized field is refused before parsing.
    /// </summary>
    public int MaxHeaderFieldLength { get; set; } = 64 * 1024;

    /// <summary>The most header fields in one header section, of the message or of a MIME part (hard). Default 1,000.</summary>
    public int MaxHeaderCount { get; set; } = 1000;

    /// <summary>The deepest MIME nesting read (soft: deeper parts are left out with a warning). Default 32.</summary>
    public int MaxMimeDepth { get; set; } = 32;

    /// <summary>The most MIME parts read (soft: the remaining parts are left out with a warning). Default 1,000.</summary>
    public int MaxParts { get; set; } = 1000;

    /// <summary>
    /// The largest decoded attachment, in bytes, that <see cref="ParsedAttachment.Sha256"/> and
    /// <see cref="ParsedAttachment.Size"/> decode (hard: a larger one throws <see cref="MailParseException"/>).
    /// Default 50 MiB.
    /// </summary>
    public long MaxAttachmentSize { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// The longest text or HTML body kept, in characters (soft: longer bodies are cut with a warning).
    /// Default 10,000,000.
    /// </summary>
    public int MaxBodyLength { get; set; } = 10_000_000;

    /// <summary>Whether the visible reply, quoted text and signature are extracted (<see cref="ParsedMail.Reply"/>). Default on.</summary>
    public bool ExtractReply { get; set; } = true;

    /// <summary>Whether the files inside a TNEF part (winmail.dat) are listed as attachments in its place. Default on.</summary>
    public bool UnpackTnef { get; set; } = true;

    /// <summary>Whether a message without a text part gets a text rendering of its HTML as <see cref="ParsedMail.TextBody"/>. Default on.</summary>
    public bool TextFromHtml { get; set; } = true;
}
