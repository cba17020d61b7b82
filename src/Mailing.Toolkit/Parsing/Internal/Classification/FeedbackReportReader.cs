using MimeKit;

namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>Reads an ARF feedback report (RFC 5965): the <c>message/feedback-report</c> part of a report.</summary>
internal static class FeedbackReportReader
{
    public static FeedbackReportInfo? Read(MimeMessage message)
    {
        MimePart? report = null;
        MimeEntity? reported = null;
        foreach (var entity in MimeParts.Walk(message))
        {
            var type = entity.ContentType;
            if (report is null && entity is MimePart part && type.IsMimeType("message", "feedback-report"))
                report = part;
            else if (reported is null && (entity is MessagePart || type.IsMimeType("text", "rfc822-headers")))
                reported = entity;
        }
        if (report is null)
            return null;

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var group in ReportFields.Parse(ClassificationText.ReadPart(report)))
            fields.AddRange(group);

        var recipient = ReportFields.Get(fields, "Original-Rcpt-To") is { } rcpt ? ClassificationText.FieldAddress(rcpt) : null;
        recipient ??= ReportedRecipient(reported);

        return new FeedbackReportInfo(
            ReportFields.Get(fields, "Feedback-Type")?.ToLowerInvariant() ?? "other",
            recipient,
            ReportFields.Get(fields, "User-Agent"),
            ReportFields.Get(fields, "Source-IP"));
    }

    // Without Original-Rcpt-To, the reporting recipient is the first To of the reported message.
    private static string? ReportedRecipient(MimeEntity? reported)
    {
        switch (reported)
        {
            case MessagePart { Message: { } original }:
                return original.To.Mailboxes.FirstOrDefault()?.Address;
            case MimePart part:
                foreach (var group in ReportFields.Parse(ClassificationText.ReadPart(part)))
                {
                    if (ReportFields.Get(group, "To") is { } to)
                        return ClassificationText.FirstAddress(to);
                }
                return null;
            default:
                return null;
        }
    }
}
