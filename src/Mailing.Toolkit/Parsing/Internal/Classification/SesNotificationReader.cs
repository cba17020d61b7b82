using System.Text.Json;

namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>
/// Reads Amazon SES bounce and delivery notifications delivered by e-mail (an SNS message whose body is JSON, or
/// the bare SES JSON): <c>notificationType</c> Bounce lists <c>bouncedRecipients</c> with action, status and
/// diagnostic code; Delivery lists <c>recipients</c> with the <c>smtpResponse</c>.
/// </summary>
internal static class SesNotificationReader
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16, AllowTrailingCommas = true };

    public static List<BounceDetector.Draft>? Read(string text, out string? reportingMta)
    {
        reportingMta = null;
        if (!text.Contains("notificationType", StringComparison.Ordinal))
            return null;

        var start = text.IndexOf('{');
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
            return null;
        // Mail transport folds long lines; the continuation's leading white space is not part of the JSON.
        var json = text[start..(end + 1)].Replace("\r\n ", "", StringComparison.Ordinal).Replace("\n ", "", StringComparison.Ordinal);

        try
        {
            using var outer = JsonDocument.Parse(json, Options);
            if (outer.RootElement.ValueKind != JsonValueKind.Object)
                return null;
            // An SNS envelope carries the SES notification as a JSON string in "Message".
            if (outer.RootElement.TryGetProperty("Message", out var inner) && inner.ValueKind == JsonValueKind.String)
            {
                using var notification = JsonDocument.Parse(inner.GetString()!, Options);
                return FromNotification(notification.RootElement, out reportingMta);
            }
            return FromNotification(outer.RootElement, out reportingMta);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<BounceDetector.Draft>? FromNotification(JsonElement root, out string? reportingMta)
    {
        reportingMta = null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("notificationType", out var type))
            return null;

        var drafts = new List<BounceDetector.Draft>();
        switch (type.GetString())
        {
            case "Bounce" when root.TryGetProperty("bounce", out var bounce) && bounce.ValueKind == JsonValueKind.Object:
                reportingMta = String(bounce, "reportingMTA") is { } mta ? ClassificationText.StripType(mta) : null;
                if (bounce.TryGetProperty("bouncedRecipients", out var bounced) && bounced.ValueKind == JsonValueKind.Array)
                {
                    foreach (var recipient in bounced.EnumerateArray())
                    {
                        if (String(recipient, "emailAddress") is not { } address || drafts.Count >= BounceDetector.MaxRecipients)
                            continue;
                        drafts.Add(new BounceDetector.Draft
                        {
                            Address = address,
                            Action = String(recipient, "action") ?? "failed",
                            Status = String(recipient, "status"),
                            Diagnostic = String(recipient, "diagnosticCode") is { } code ? ClassificationText.StripType(code) : null,
                        });
                    }
                }
                break;
            case "Delivery" when root.TryGetProperty("delivery", out var delivery) && delivery.ValueKind == JsonValueKind.Object:
                reportingMta = String(delivery, "reportingMTA");
                var response = String(delivery, "smtpResponse");
                if (delivery.TryGetProperty("recipients", out var recipients) && recipients.ValueKind == JsonValueKind.Array)
                {
                    foreach (var recipient in recipients.EnumerateArray())
                    {
                        if (recipient.ValueKind != JsonValueKind.String || drafts.Count >= BounceDetector.MaxRecipients)
                            continue;
                        drafts.Add(new BounceDetector.Draft
                        {
                            Address = recipient.GetString()!,
                            Action = "delivered",
                            Status = response is null ? null : ClassificationText.FindStatus(response),
                            Diagnostic = response,
                        });
                    }
                }
                break;
        }
        return drafts.Count > 0 ? drafts : null;
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
