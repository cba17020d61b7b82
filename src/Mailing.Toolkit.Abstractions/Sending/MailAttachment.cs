using MimeKit;
using MimeKit.IO;
using MimeKit.Utils;

namespace Mailing.Toolkit;

/// <summary>
/// A file attached to a <see cref="MailMessage"/>, either as a regular attachment or inline
/// (referenced from the HTML body as <c>cid:ContentId</c>).
/// </summary>
/// <remarks>Content is streamed when the message is written; nothing is read into memory up front except by <see cref="FromBytes"/>.</remarks>
public sealed class MailAttachment
{
    private readonly Func<Stream> openContent;

    private MailAttachment(string fileName, string? contentType, Func<Stream> openContent, bool isInline = false, string? contentId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        FileName = HeaderSafety.EnsureSingleLine(fileName, "Attachment file name", nameof(fileName));
        ContentType = contentType is null ? MimeTypes.GetMimeType(fileName) : ValidateContentType(contentType);
        IsInline = isInline;
        ContentId = contentId is null ? null : HeaderSafety.EnsureSingleLine(contentId.Trim('<', '>'), "Attachment Content-ID", nameof(contentId));
        this.openContent = openContent;
    }

    /// <summary>The file name shown to the recipient.</summary>
    public string FileName { get; }

    /// <summary>The MIME type, for example <c>application/pdf</c>; guessed from the file name when not given.</summary>
    public string ContentType { get; }

    /// <summary>Whether the part is inline (shown in the body) rather than attached.</summary>
    public bool IsInline { get; }

    /// <summary>The Content-ID an HTML body refers to with <c>cid:</c>, without angle brackets.</summary>
    public string? ContentId { get; }

    /// <summary>An attachment whose content is the given bytes (not copied: do not change them until the message is sent).</summary>
    public static MailAttachment FromBytes(byte[] content, string fileName, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        return new MailAttachment(fileName, contentType, () => new MemoryStream(content, writable: false));
    }

    /// <summary>
    /// An attachment read from <paramref name="content"/> when the message is written. The stream stays
    /// owned by the caller and must stay open until sending completes; a seekable stream is read from
    /// its current position each time the message is written (so a retried send sends the same bytes),
    /// a non-seekable one is copied into memory once.
    /// </summary>
    public static MailAttachment FromStream(Stream content, string fileName, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanRead)
            throw new ArgumentException("The attachment stream is not readable.", nameof(content));

        if (!content.CanSeek)
        {
            var copy = new MemoryStream();
            content.CopyTo(copy);
            var bytes = copy.ToArray();
            return new MailAttachment(fileName, contentType, () => new MemoryStream(bytes, writable: false));
        }

        var start = content.Position;
        return new MailAttachment(fileName, contentType, () => new BoundStream(content, start, -1, leaveOpen: true));
    }

    /// <summary>An attachment read from a file when the message is written; the file name defaults to the path's.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static MailAttachment FromFile(string path, string? fileName = null, string? contentType = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"Attachment file '{fullPath}' does not exist.", fullPath);
        return new MailAttachment(fileName ?? Path.GetFileName(fullPath), contentType,
            () => new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous));
    }

    /// <summary>Returns this attachment as an inline part with the given Content-ID (generated when omitted).</summary>
    public MailAttachment AsInline(string? contentId = null) =>
        new(FileName, ContentType, openContent, isInline: true, contentId ?? MimeUtils.GenerateMessageId());

    internal MimePart ToMimePart()
    {
        var part = new MimePart(MimeKit.ContentType.Parse(ContentType))
        {
            Content = new MimeContent(openContent()),
            ContentDisposition = new ContentDisposition(IsInline ? ContentDisposition.Inline : ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = FileName,
        };
        if (ContentId is not null)
            part.ContentId = ContentId;
        return part;
    }

    private static string ValidateContentType(string contentType)
    {
        HeaderSafety.EnsureSingleLine(contentType, "Attachment content type", nameof(contentType));
        if (!MimeKit.ContentType.TryParse(contentType, out _))
            throw new ArgumentException($"'{contentType}' is not a valid MIME type (expected type/subtype).", nameof(contentType));
        return contentType;
    }
}
