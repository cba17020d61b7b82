using Mailing.Toolkit.Security;

namespace Mailing.Toolkit.Parsing;

/// <summary>A name and address as found in a parsed header (international addresses decoded).</summary>
/// <param name="Name">The display name, or <see langword="null"/>.</param>
/// <param name="Address">The addr-spec.</param>
public sealed record ParsedAddress(string? Name, string Address);

/// <summary>A message taken apart: identity, threading, addresses, bodies, attachments and classification.</summary>
public sealed class ParsedMail
{
    /// <summary>The Message-ID without angle brackets.</summary>
    public string? MessageId { get; init; }

    /// <summary>The In-Reply-To Message-ID.</summary>
    public string? InReplyTo { get; init; }

    /// <summary>The References chain, oldest first.</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>
    /// The thread key: the first ID of References (the thread's root), else In-Reply-To, else the message's own ID,
    /// so every message of one thread has the same key.
    /// </summary>
    public string? ThreadId { get; init; }

    /// <summary>The Date header; <see langword="null"/> when it is missing or cannot be read (a warning then says so).</summary>
    public DateTimeOffset? Date { get; init; }

    /// <summary>The decoded subject.</summary>
    public string? Subject { get; init; }

    /// <summary>The subject without reply and forward prefixes (Re, Fwd, AW, WG, SV, ...).</summary>
    public string? NormalizedSubject { get; init; }

    /// <summary>The From mailboxes.</summary>
    public IReadOnlyList<ParsedAddress> From { get; init; } = [];

    /// <summary>The Sender mailbox.</summary>
    public ParsedAddress? Sender { get; init; }

    /// <summary>The Reply-To mailboxes.</summary>
    public IReadOnlyList<ParsedAddress> ReplyTo { get; init; } = [];

    /// <summary>The To mailboxes.</summary>
    public IReadOnlyList<ParsedAddress> To { get; init; } = [];

    /// <summary>The Cc mailboxes.</summary>
    public IReadOnlyList<ParsedAddress> Cc { get; init; } = [];

    /// <summary>The Bcc mailboxes (present only on copies that kept the header).</summary>
    public IReadOnlyList<ParsedAddress> Bcc { get; init; } = [];

    /// <summary>The Return-Path; an empty address means the null reverse path.</summary>
    public ParsedAddress? ReturnPath { get; init; }

    /// <summary>The Delivered-To addresses, newest first.</summary>
    public IReadOnlyList<string> DeliveredTo { get; init; } = [];

    /// <summary>The plain-text body, decoded.</summary>
    public string? TextBody { get; init; }

    /// <summary>The HTML body, decoded.</summary>
    public string? HtmlBody { get; init; }

    /// <summary>The visible reply, quoted text and signature.</summary>
    public ReplyParts? Reply { get; init; }

    /// <summary>The attachments and inline parts.</summary>
    public IReadOnlyList<ParsedAttachment> Attachments { get; init; } = [];

    /// <summary>Whether this is an automatic reply, and why.</summary>
    public AutoReplyInfo? AutoReply { get; init; }

    /// <summary>The delivery status when this is a bounce.</summary>
    public BounceInfo? Bounce { get; init; }

    /// <summary>The ARF feedback report (RFC 5965), when this is one.</summary>
    public FeedbackReportInfo? FeedbackReport { get; init; }

    /// <summary>Mailing-list headers, when present.</summary>
    public MailingListInfo? MailingList { get; init; }

    /// <summary>
    /// The S/MIME or OpenPGP signatures and encryption of the content, and what checking them gave; <see langword="null"/>
    /// when the content was neither signed nor encrypted, or no S/MIME or OpenPGP support is registered.
    /// </summary>
    public ContentProtectionInfo? Protection { get; init; }

    /// <summary>Limits hit and defects found while parsing; the rest of the message was still read.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The top-level header fields in message order, unfolded and decoded (RFC 2047).</summary>
    public IReadOnlyList<ParsedHeader> Headers { get; init; } = [];

    /// <summary>The value of the first header field named <paramref name="name"/> (case-insensitive), or <see langword="null"/>.</summary>
    /// <param name="name">The field name, for example <c>Auto-Submitted</c>.</param>
    public string? GetHeader(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var header in Headers)
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
                return header.Value;
        }
        return null;
    }
}

/// <summary>One header field of a parsed message.</summary>
/// <param name="Name">The field name as written.</param>
/// <param name="Value">The unfolded value, with encoded words decoded.</param>
public sealed record ParsedHeader(string Name, string Value);

/// <summary>The parts of a reply: what the author wrote, what they quoted, and their signature.</summary>
/// <param name="VisibleText">The new text.</param>
/// <param name="QuotedText">The quoted earlier message, with its quote header.</param>
/// <param name="Signature">The signature block.</param>
public sealed record ReplyParts(string VisibleText, string? QuotedText, string? Signature)
{
    /// <summary>
    /// Whether <see cref="QuotedText"/> is a forwarded message ("---------- Forwarded message ---------", "Begin
    /// forwarded message:" and their translations): <see cref="VisibleText"/> is then the note written above it, possibly empty.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool IsForward { get; init; }

    /// <summary>Whether the message is nothing but a quote (or a forward without a note): no new text, something quoted.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool IsQuoteOnly => VisibleText.Length == 0 && QuotedText is not null;
}

/// <summary>An attachment or inline part of a parsed message.</summary>
public abstract class ParsedAttachment
{
    /// <summary>The file name, when the part has one.</summary>
    public string? FileName { get; init; }

    /// <summary>The MIME type.</summary>
    public required string ContentType { get; init; }

    /// <summary>The decoded size in bytes, computed with <see cref="Sha256"/> when first asked.</summary>
    public abstract long Size { get; }

    /// <summary>The Content-ID, without angle brackets.</summary>
    public string? ContentId { get; init; }

    /// <summary>Whether the part is shown inline.</summary>
    public bool IsInline { get; init; }

    /// <summary>
    /// Whether the part is an attached message (<c>message/rfc822</c>, <c>message/global</c>); <see cref="OpenRead"/>
    /// then returns the message's raw bytes, which <see cref="IMailParser.ParseAsync"/> can parse in turn.
    /// </summary>
    public bool IsMessage { get; init; }

    /// <summary>The SHA-256 of the decoded content as lowercase hex, computed when first asked.</summary>
    public abstract string Sha256 { get; }

    /// <summary>Opens the decoded content for reading; each call returns a new stream the caller disposes.</summary>
    public abstract Stream OpenRead();
}

/// <summary>Whether a message is an automatic reply.</summary>
/// <param name="IsAutoReply">The verdict.</param>
/// <param name="Reason">What gave it away (for example <c>Auto-Submitted: auto-replied</c>).</param>
public sealed record AutoReplyInfo(bool IsAutoReply, string? Reason);

/// <summary>A delivery status notification.</summary>
/// <param name="IsBounce">Whether the message is a bounce.</param>
/// <param name="ReportingMta">The MTA that reported it.</param>
/// <param name="Recipients">One entry per recipient the report names (failed, delayed, or delivered in a success notice).</param>
public sealed record BounceInfo(bool IsBounce, string? ReportingMta, IReadOnlyList<BounceRecipient> Recipients);

/// <summary>One recipient of a bounce.</summary>
/// <param name="Address">The recipient.</param>
/// <param name="Action">failed, delayed, delivered, relayed or expanded.</param>
/// <param name="Status">The d.d.d status code.</param>
/// <param name="ReplyCode">The SMTP reply code, or 0.</param>
/// <param name="DiagnosticCode">The diagnostic text.</param>
/// <param name="RemoteMta">The remote MTA.</param>
/// <param name="Reason">A reason in sisimai's vocabulary (userunknown, mailboxfull, ...).</param>
/// <param name="IsHard">Whether sending to the address again cannot succeed.</param>
public sealed record BounceRecipient(string Address, string? Action, string? Status, int ReplyCode, string? DiagnosticCode, string? RemoteMta, string Reason, bool IsHard);

/// <summary>An ARF feedback report (RFC 5965).</summary>
/// <param name="FeedbackType">abuse, fraud, virus, not-spam, ...</param>
/// <param name="OriginalRecipient">The recipient who reported the message.</param>
/// <param name="UserAgent">The reporting software.</param>
/// <param name="SourceIp">The IP address the reported message came from.</param>
public sealed record FeedbackReportInfo(string FeedbackType, string? OriginalRecipient, string? UserAgent, string? SourceIp);

/// <summary>Mailing-list headers (RFC 2369, RFC 2919).</summary>
/// <param name="Id">The List-Id.</param>
/// <param name="Unsubscribe">The List-Unsubscribe URIs.</param>
/// <param name="Post">The List-Post URI.</param>
/// <param name="Precedence">The Precedence header (<c>bulk</c>, <c>list</c>, <c>junk</c>), when present.</param>
public sealed record MailingListInfo(string? Id, IReadOnlyList<string> Unsubscribe, string? Post, string? Precedence = null);
