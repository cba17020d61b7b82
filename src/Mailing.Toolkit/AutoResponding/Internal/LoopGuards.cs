using Mailing.Toolkit.Addressing.Internal;
using Mailing.Toolkit.Parsing;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>A reason not to reply, with the words that explain it (never an address).</summary>
internal readonly record struct Suppressed(AutoReplySuppression Suppression, string Reason);

/// <summary>
/// The RFC 3834 checks that run before any rule and that no rule can turn off: mail sent automatically,
/// bounces, the null return path, lists and bulk mail, system senders and our own addresses.
/// </summary>
internal static class LoopGuards
{
    private static readonly string[] ListHeaders =
        ["List-Id", "List-Post", "List-Unsubscribe", "List-Subscribe", "List-Help", "List-Owner", "List-Archive", "Mailing-List", "X-Mailing-List"];

    private static readonly string[] AutoReplyHeaders = ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"];

    /// <summary>Local parts that belong to software, not to a person who could read a reply.</summary>
    private static readonly HashSet<string> SystemLocalParts = new(StringComparer.Ordinal)
    {
        "mailer-daemon", "mailerdaemon", "postmaster", "listserv", "majordomo", "mailman", "noreply", "donotreply", "bounce", "bounces",
    };

    /// <summary>Checks what the message itself says about how it was sent.</summary>
    public static Suppressed? CheckMessage(ParsedMail mail)
    {
        foreach (var header in mail.Headers)
        {
            if (header.Name.Equals("Auto-Submitted", StringComparison.OrdinalIgnoreCase))
            {
                // RFC 3834 section 5: the keyword may carry parameters ("auto-replied; owner-email=...").
                var keyword = header.Value.Split(';', 2)[0].Trim();
                if (!keyword.Equals("no", StringComparison.OrdinalIgnoreCase))
                    return new(AutoReplySuppression.AutoSubmitted, $"Auto-Submitted: {Clip(keyword)}");
            }
            else if (header.Name.Equals("X-Auto-Response-Suppress", StringComparison.OrdinalIgnoreCase) && SuppressesReplies(header.Value))
            {
                return new(AutoReplySuppression.AutoSubmitted, $"X-Auto-Response-Suppress: {Clip(header.Value)}");
            }
            else if (AutoReplyHeaders.Contains(header.Name, StringComparer.OrdinalIgnoreCase))
            {
                return new(AutoReplySuppression.AutoSubmitted, $"{header.Name} header");
            }
        }

        if (mail.AutoReply is { IsAutoReply: true } autoReply)
            return new(AutoReplySuppression.AutoSubmitted, Clip(autoReply.Reason ?? "parsed as an automatic reply"));

        if (mail.Bounce is { IsBounce: true })
            return new(AutoReplySuppression.Bounce, "delivery status notification");
        if (mail.FeedbackReport is not null)
            return new(AutoReplySuppression.Bounce, "feedback report");
        if (mail.GetHeader("Content-Type") is { } contentType && contentType.TrimStart().StartsWith("multipart/report", StringComparison.OrdinalIgnoreCase))
            return new(AutoReplySuppression.Bounce, "multipart/report");

        if (IsNullPath(mail.ReturnPath?.Address) || (mail.ReturnPath is null && IsNullPath(mail.GetHeader("Return-Path"))))
            return new(AutoReplySuppression.NullReturnPath, "Return-Path: <>");

        foreach (var name in ListHeaders)
        {
            if (mail.GetHeader(name) is not null)
                return new(AutoReplySuppression.MailingList, $"{name} header");
        }

        if (mail.MailingList is { } list && (list.Id is not null || list.Post is not null || list.Unsubscribe.Count > 0))
            return new(AutoReplySuppression.MailingList, "mailing-list headers");

        var precedence = (mail.GetHeader("Precedence") ?? mail.MailingList?.Precedence)?.Trim().ToLowerInvariant();
        if (precedence is "bulk" or "list" or "junk")
            return new(AutoReplySuppression.MailingList, $"Precedence: {precedence}");
        if (precedence is "auto_reply")
            return new(AutoReplySuppression.AutoSubmitted, "Precedence: auto_reply");

        return null;
    }

    /// <summary>Checks an address the reply would go to, or that the message claims to come from.</summary>
    public static Suppressed? CheckAddress(string address, IReadOnlyList<AddressPattern> ownAddresses)
    {
        var local = AddressPattern.LocalPart(address);
        var squeezed = local.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal);
        if (SystemLocalParts.Contains(local) || SystemLocalParts.Contains(squeezed))
            return new(AutoReplySuppression.SystemSender, $"system sender ({local})");
        if (local.StartsWith("owner-", StringComparison.Ordinal) || local.EndsWith("-owner", StringComparison.Ordinal)
            || local.EndsWith("-request", StringComparison.Ordinal) || local.EndsWith("-bounces", StringComparison.Ordinal))
        {
            return new(AutoReplySuppression.SystemSender, "system sender (list owner or request address)");
        }

        foreach (var own in ownAddresses)
        {
            if (own.IsMatch(address))
                return new(AutoReplySuppression.OwnAddress, "one of our own addresses");
        }

        return null;
    }

    private static bool SuppressesReplies(string value)
    {
        // Microsoft's header: a comma-separated list; All, OOF and AutoReply ask automatic responders to stay quiet.
        foreach (var token in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (token.Equals("All", StringComparison.OrdinalIgnoreCase) || token.Equals("OOF", StringComparison.OrdinalIgnoreCase)
                || token.Equals("AutoReply", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNullPath(string? path) =>
        path is not null && path.Trim().Trim('<', '>').Trim().Length == 0;

    /// <summary>A header value as a short single-line reason, without addresses (reasons are logged at Information).</summary>
    internal static string Clip(string value)
    {
        var line = string.Join(' ', TextValues.SingleLine(value).Split(' ').Select(word => word.Contains('@', StringComparison.Ordinal) ? "(address)" : word));
        return line.Length <= 60 ? line : string.Concat(line.AsSpan(0, 60), "...");
    }
}
