namespace Mailing.Toolkit.AutoResponding;

/// <summary>
/// What a reply's template sees (<see cref="AutoReplyRule.Template"/>) and what <c>{name}</c> placeholders in an
/// inline response can use. Every value comes from the received message: HTML templates escape it by default.
/// Line breaks are replaced by spaces, so a value is safe in a subject.
/// </summary>
public sealed class AutoReplyTemplateModel
{
    /// <summary>The rule that matched.</summary>
    public required string Rule { get; init; }

    /// <summary>The subject of the received message.</summary>
    public string Subject { get; init; } = string.Empty;

    /// <summary>The subject without reply and forward prefixes.</summary>
    public string NormalizedSubject { get; init; } = string.Empty;

    /// <summary>The display name of the sender, or the address when there is none.</summary>
    public string FromName { get; init; } = string.Empty;

    /// <summary>The address of the sender (the first From).</summary>
    public string FromAddress { get; init; } = string.Empty;

    /// <summary>The address the reply goes to (the Return-Path, RFC 3834 section 4).</summary>
    public required string ReplyTo { get; init; }

    /// <summary>The address the message was received at, when known.</summary>
    public string? Recipient { get; init; }

    /// <summary>The Message-ID of the received message, without angle brackets.</summary>
    public string? MessageId { get; init; }

    /// <summary>The Date of the received message.</summary>
    public DateTimeOffset? Date { get; init; }

    /// <summary>
    /// The named groups that matched in the rule's <see cref="AutoReplyRule.Subject"/> and <see cref="AutoReplyRule.Body"/>
    /// patterns, for example a request number captured by <c>#(?&lt;request&gt;\d+)</c>. Case-insensitive.
    /// </summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}
