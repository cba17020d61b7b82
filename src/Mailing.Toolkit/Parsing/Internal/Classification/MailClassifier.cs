using MimeKit;

namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>What <see cref="MailClassifier"/> found: always an auto-reply verdict, a bounce or feedback report when there is one.</summary>
/// <param name="AutoReply">Whether the message is an automatic reply; never <see langword="null"/>.</param>
/// <param name="Bounce">The delivery status notification, or <see langword="null"/> for ordinary mail.</param>
/// <param name="FeedbackReport">The ARF feedback report, or <see langword="null"/>.</param>
internal sealed record MailClassification(AutoReplyInfo AutoReply, BounceInfo? Bounce, FeedbackReportInfo? FeedbackReport);

/// <summary>
/// Tells automatic replies, bounces (standard and MTA-specific) and ARF feedback reports from ordinary mail.
/// The three are exclusive: a feedback report is never a bounce, and a bounce or feedback report is never an
/// automatic reply.
/// </summary>
/// <remarks>
/// Work is bounded: at most <see cref="MaxScanChars"/> characters of any text are examined, all scans are
/// linear, and malformed input gives a weaker verdict, never an exception.
/// </remarks>
internal static class MailClassifier
{
    /// <summary>The most characters of a body, report part or header value that classification reads.</summary>
    public const int MaxScanChars = 64 * 1024;

    private static readonly AutoReplyInfo NotAutoReply = new(false, null);

    /// <summary>Classifies a parsed message.</summary>
    /// <param name="message">The parsed MimeKit message.</param>
    /// <param name="textBody">The decoded text body (or a text rendering of the HTML body), or <see langword="null"/>.</param>
    public static MailClassification Classify(MimeMessage message, string? textBody)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = textBody ?? ClassificationText.FallbackText(message);
        if (text is { Length: > MaxScanChars })
            text = text[..MaxScanChars];
        var notice = text is null ? null : ClassificationText.Notice(text);

        var feedback = FeedbackReportReader.Read(message);
        if (feedback is not null)
            return new MailClassification(NotAutoReply, null, feedback);

        var bounce = BounceDetector.Detect(message, notice, text);
        if (bounce is not null)
            return new MailClassification(NotAutoReply, bounce, null);

        return new MailClassification(AutoReplyDetector.Detect(message) ?? NotAutoReply, null, null);
    }
}
