using MimeKit;
using MimeKit.Utils;

namespace Mailing.Toolkit;

/// <summary>
/// An email to send, built with an object initializer:
/// <code>
/// var message = new MailMessage
/// {
///     From = "Shop &lt;shop@example.com&gt;",
///     To = { "alice@example.com" },
///     Subject = "Your order",
///     TextBody = "Thanks!",
///     Attachments = { MailAttachment.FromFile("invoice.pdf") },
/// };
/// </code>
/// Every user value is validated: CR, LF and NUL never reach a header.
/// Use <see cref="ToMimeMessage"/> when you need the raw MIME.
/// </summary>
public sealed class MailMessage
{
    private string? subject;
    private string? messageId;

    /// <summary>The author. When <see langword="null"/>, the sender's configured default (<c>Mailing:DefaultFrom</c>) is used.</summary>
    public EmailAddress? From { get; set; }

    /// <summary>The mailbox that actually sent the message when it differs from <see cref="From"/>.</summary>
    public EmailAddress? Sender { get; set; }

    /// <summary>Where replies should go.</summary>
    public IList<EmailAddress> ReplyTo { get; } = new List<EmailAddress>();

    /// <summary>Primary recipients.</summary>
    public IList<EmailAddress> To { get; } = new List<EmailAddress>();

    /// <summary>Carbon-copy recipients.</summary>
    public IList<EmailAddress> Cc { get; } = new List<EmailAddress>();

    /// <summary>Blind carbon-copy recipients: on the envelope, never in a header.</summary>
    public IList<EmailAddress> Bcc { get; } = new List<EmailAddress>();

    /// <summary>The subject line; non-ASCII text is encoded as RFC 2047 words.</summary>
    /// <exception cref="ArgumentException">The value contains CR, LF or NUL.</exception>
    public string? Subject
    {
        get => subject;
        set => subject = value is null ? null : HeaderSafety.EnsureSingleLine(value, "Subject", nameof(Subject));
    }

    /// <summary>The plain-text body.</summary>
    public string? TextBody { get; set; }

    /// <summary>The HTML body.</summary>
    public string? HtmlBody { get; set; }

    /// <summary>Attached and inline files.</summary>
    public IList<MailAttachment> Attachments { get; } = new List<MailAttachment>();

    /// <summary>Custom headers such as <c>X-Campaign</c>.</summary>
    public MailHeaderCollection Headers { get; } = new();

    /// <summary>The message priority; <see cref="MailPriority.Normal"/> writes no priority headers.</summary>
    public MailPriority Priority { get; set; }

    /// <summary>The List-Unsubscribe headers (RFC 2369, RFC 8058 one-click).</summary>
    public ListUnsubscribe? ListUnsubscribe { get; set; }

    /// <summary>
    /// The Message-ID without angle brackets. When <see langword="null"/> a unique one is generated
    /// in the domain of <see cref="From"/> (or of the sender's default From).
    /// </summary>
    /// <exception cref="ArgumentException">The value is not of the form <c>left@right</c> or contains CR, LF, NUL or spaces.</exception>
    public string? MessageId
    {
        get => messageId;
        set => messageId = value is null ? null : ValidateMessageId(value, nameof(value));
    }

    /// <summary>
    /// Builds the MIME message: text and HTML as multipart/alternative, inline parts with the HTML as
    /// multipart/related, attachments as multipart/mixed. Attachment content is streamed, not copied;
    /// dispose the returned message to release attachment streams.
    /// </summary>
    /// <exception cref="ArgumentException">An address list contains a null entry.</exception>
    public MimeMessage ToMimeMessage()
    {
        var message = new MimeMessage();
        if (From is not null)
            message.From.Add(From.ToMailboxAddress());
        if (Sender is not null)
            message.Sender = Sender.ToMailboxAddress();
        AddAll(message.ReplyTo, ReplyTo, nameof(ReplyTo));
        AddAll(message.To, To, nameof(To));
        AddAll(message.Cc, Cc, nameof(Cc));
        AddAll(message.Bcc, Bcc, nameof(Bcc));
        message.Subject = Subject ?? string.Empty;
        if (MessageId is not null)
            message.MessageId = MessageId;
        else if ((From?.Domain ?? Sender?.Domain) is { } domain)
            message.MessageId = MimeUtils.GenerateMessageId(domain);
        else
            message.Headers.Remove(HeaderId.MessageId); // the sender adds one in the domain of its default From

        foreach (var header in Headers)
            message.Headers.Add(header.Name, header.Value);

        if (ListUnsubscribe is not null)
        {
            message.Headers.Add("List-Unsubscribe", ListUnsubscribe.ToHeaderValue());
            if (ListUnsubscribe.OneClick)
                message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }

        switch (Priority)
        {
            case MailPriority.High:
                message.Priority = MessagePriority.Urgent;
                message.XPriority = XMessagePriority.High;
                message.Importance = MessageImportance.High;
                break;
            case MailPriority.Low:
                message.Priority = MessagePriority.NonUrgent;
                message.XPriority = XMessagePriority.Low;
                message.Importance = MessageImportance.Low;
                break;
        }

        message.Body = BuildBody();
        return message;
    }

    private MimeEntity BuildBody()
    {
        TextPart? text = TextBody is null ? null : new TextPart(MimeKit.Text.TextFormat.Plain) { Text = TextBody };
        TextPart? html = HtmlBody is null ? null : new TextPart(MimeKit.Text.TextFormat.Html) { Text = HtmlBody };

        var inline = new List<MimePart>();
        var attached = new List<MimePart>();
        foreach (var attachment in Attachments)
        {
            if (attachment is null)
                throw new ArgumentException("Attachments contains a null entry.", nameof(Attachments));
            (attachment.IsInline && html is not null ? inline : attached).Add(attachment.ToMimePart());
        }

        MimeEntity? htmlWithResources = html;
        if (html is not null && inline.Count > 0)
        {
            var related = new MultipartRelated { html };
            foreach (var part in inline)
                related.Add(part);
            htmlWithResources = related;
        }

        MimeEntity content = (text, htmlWithResources) switch
        {
            (not null, not null) => new MultipartAlternative { text, htmlWithResources },
            (not null, null) => text,
            (null, not null) => htmlWithResources,
            _ => new TextPart(MimeKit.Text.TextFormat.Plain) { Text = string.Empty },
        };

        if (attached.Count == 0)
            return content;

        var mixed = new Multipart("mixed") { content };
        foreach (var part in attached)
            mixed.Add(part);
        return mixed;
    }

    private static void AddAll(InternetAddressList target, IList<EmailAddress> source, string field)
    {
        foreach (var address in source)
        {
            if (address is null)
                throw new ArgumentException($"{field} contains a null address.", field);
            target.Add(address.ToMailboxAddress());
        }
    }

    private static string ValidateMessageId(string value, string paramName)
    {
        var id = value.Trim().TrimStart('<').TrimEnd('>');
        HeaderSafety.EnsureSingleLine(id, "Message-ID", paramName);
        var at = id.LastIndexOf('@');
        if (at <= 0 || at == id.Length - 1 || id.Any(c => c <= ' ' || c >= 127 || c is '<' or '>'))
            throw new ArgumentException($"Message-ID '{id}' must look like 'unique@domain' with printable ASCII and no spaces.", paramName);
        return id;
    }
}
