using MimeKit;

namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>
/// Finds delivery status notifications: standard RFC 3464 reports (<c>message/delivery-status</c>,
/// <c>message/global-delivery-status</c>, or the same fields written inline) and the free-text bounces of MTAs
/// that send none, recognized by sender, subject and wording, with recipients and codes read from the text.
/// </summary>
internal static class BounceDetector
{
    /// <summary>The most recipients reported for one bounce.</summary>
    public const int MaxRecipients = 256;

    private static readonly string[] DaemonLocalParts =
        ["mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "post_master", "mail.delivery.system", "double-bounce", "mdaemon"];

    private static readonly string[] DaemonNames = ["mail delivery", "mailer-daemon", "mailer daemon", "postmaster", "mail deliver", "ndr administrator"];

    private static readonly string[] BounceSubjects =
    [
        "undeliverable", "undelivered", "undeliverd", "returned mail", "returning message", "delivery status notification",
        "delivery failure", "delivery failed", "delivery has failed", "failure notice", "mail delivery", "delivery notification",
        "returned to sender", "delayed mail", "delivery status", "mail failure", "mail system error", "message delivery",
        "could not be delivered", "not be delivered", "delivery problem", "postmaster notify", "warning: could not send",
        "error sending", "mail failed", "non-delivery", "nondelivery", "delayed 24 hours", "delayed 48 hours", "message delayed",
        // German, Italian, French, Spanish, Dutch, Polish, Portuguese, Swedish, Russian.
        "unzustellbar", "nicht zustellbar", "non recapitabile", "non remis", "impossible de remettre", "no se puede entregar",
        "no entregado", "onbestelbaar", "niedostarczalne", "niedostarczona", "não entregue", "kan inte levereras", "olevererbart",
        "недоставлен", "не доставлен", "не может быть доставлено",
        // Japanese: "mail error notification", "could not be delivered", "undelivered", "returned".
        "エラー通知", "配信できません", "配送できません", "不達", "返送",
    ];

    private static readonly string[] BounceWording =
    [
        "could not be delivered", "couldn't be delivered", "was not delivered", "wasn't delivered", "not be delivered",
        "unable to deliver", "undeliverable", "delivery has failed", "delivery to the following recipient", "permanent error",
        "address(es) failed", "transcript of session", "did not reach the following recipient", "not delivered to",
        "this is the mail system at host", "delivery failed", "could not deliver", "couldn't deliver", "returned to sender",
        "delivery status notification", "non-delivery", "user unknown", "unknown user", "mailbox full", "no such user",
        "message delivery has failed", "delivery has been delayed", "your message did not reach", "failed permanently",
        "has not been delivered", "rejected your message", "delivery failure", "unable to be delivered", "remote host said",
        "the following addresses had permanent fatal errors", "error in processing", "returned mail",
        // Exim's delay warning: "A message that you sent has not yet been delivered to one or more of its recipients".
        "has not yet been delivered",
    ];

    private static readonly string[] DelayWording =
        ["delay", "will be retried", "will retry", "still being retried", "will continue to try", "warning:", "still trying"];

    /// <summary>The bounce, or <see langword="null"/> when the message is not one.</summary>
    /// <param name="message">The message.</param>
    /// <param name="notice">The human-readable notice (<see cref="ClassificationText.Notice"/>).</param>
    /// <param name="text">The whole capped text the notice was cut from; the returned message may be quoted after it.</param>
    public static BounceInfo? Detect(MimeMessage message, string? notice, string? text)
    {
        var report = FindDeliveryReport(message, notice, out var isReport);
        if (report.Recipients.Count == 0 && !isReport && !LooksLikeBounce(message, notice))
            return null;

        // A bounce that returns another bounce (a re-bounced or forwarded report) carries the report one level down.
        if (report.Recipients.Count == 0)
        {
            foreach (var entity in MimeParts.Walk(message))
            {
                if (entity is MessagePart { Message: { } inner } && FindDeliveryReport(inner, null, out _) is { Recipients.Count: > 0 } nested)
                {
                    report = nested;
                    break;
                }
            }
        }

        var drafts = report.Recipients;
        if (drafts.Count == 0)
            drafts = FromText(message, notice, text);

        var recipients = new List<BounceRecipient>(drafts.Count);
        var firstLines = FirstLines(notice, drafts.ConvertAll(draft => draft.Address));
        var gateway = IsFilteringGateway(message);
        var noticeEvidence = new BounceReasons.Evidence(notice);
        foreach (var draft in drafts)
            recipients.Add(Complete(draft, notice, noticeEvidence, firstLines, drafts.Count == 1, gateway));

        var isBounce = recipients.Count == 0 || recipients.Exists(r => !BounceReasons.IsSuccess(r.Action));
        return new BounceInfo(isBounce, report.ReportingMta, recipients);
    }

    /// <summary>One recipient as read from a report or text, before its status, reason and hardness are settled.</summary>
    internal sealed class Draft
    {
        public required string Address { get; init; }
        public string? Action { get; set; }
        public string? Status { get; set; }
        public string? Diagnostic { get; set; }
        public string? DiagnosticType { get; set; }
        public string? RemoteMta { get; set; }
        public string? Context { get; set; }
    }

    private sealed record Report(string? ReportingMta, List<Draft> Recipients);

    private static BounceRecipient Complete(
        Draft draft, string? notice, BounceReasons.Evidence noticeEvidence, int[] firstLines, bool only, bool filteringGateway)
    {
        draft.Context ??= notice is null ? null : ClassificationText.Collapse(RecipientBlock(notice, draft.Address, firstLines), MaxBlockChars);
        var diagnostic = draft.Diagnostic;

        // The status the remote server quoted in its reply is more precise than the reporting MTA's summary
        // (which says 4.4.7 "expired" for a message that met 4.7.1 "blocked" on every try); a generic x.0.0
        // yields to one quoted in the recipient's lines of the notice.
        var status = (diagnostic is null ? null : ClassificationText.FindStatus(diagnostic))
            ?? (draft.Status is null ? null : ClassificationText.FindStatus(draft.Status));
        var quoted = (draft.Context is null ? null : ClassificationText.FindStatus(draft.Context))
            ?? (only && notice is not null ? ClassificationText.FindStatus(notice) : null);
        if (status is null || status.EndsWith(".0.0", StringComparison.Ordinal) && quoted is not null && quoted[0] == status[0])
            status = quoted ?? status;

        var replyCode = diagnostic is null ? 0 : ClassificationText.FindReplyCode(diagnostic);
        if (replyCode == 0 && draft.Context is not null)
            replyCode = ClassificationText.FindReplyCode(draft.Context);

        var action = NormalizeAction(draft.Action);
        if (action is null && status is not null)
            action = status[0] switch { '2' => "delivered", '4' => "delayed", _ => "failed" };

        // An X-Unix diagnostic is the exit status of a local delivery program (procmail, a pipe): the mailer failed.
        var reason = !BounceReasons.IsSuccess(action) && string.Equals(draft.DiagnosticType, "x-unix", StringComparison.OrdinalIgnoreCase)
            ? BounceReasons.MailerError
            : BounceReasons.Classify(action, status, filteringGateway,
                new BounceReasons.Evidence(diagnostic), new BounceReasons.Evidence(draft.Context), noticeEvidence);
        diagnostic ??= draft.Context;
        draft.RemoteMta ??= draft.Context is null ? null : RemoteHost(draft.Context);
        return new BounceRecipient(
            draft.Address,
            action,
            status,
            replyCode,
            string.IsNullOrEmpty(diagnostic) ? null : diagnostic,
            draft.RemoteMta,
            reason,
            BounceReasons.IsHard(reason, status));
    }

    /// <summary>
    /// The remote server a free-text notice names: Postfix writes <c>host mx.example.com[192.0.2.1] said:</c>,
    /// Exim <c>host mx.example.com [192.0.2.1]:</c>.
    /// </summary>
    private static string? RemoteHost(string context)
    {
        var from = 0;
        while (from < context.Length)
        {
            var at = context.IndexOf("host ", from, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
                return null;
            var start = at + 5;
            var end = start;
            while (end < context.Length && (char.IsAsciiLetterOrDigit(context[end]) || context[end] is '.' or '-'))
                end++;
            var name = context.AsSpan(start, end - start).TrimEnd('.');
            var rest = context.AsSpan(end).TrimStart(' ');
            if (name.Contains('.') && !rest.IsEmpty && rest[0] == '[')
                return name.ToString();
            from = start;
        }
        return null;
    }

    // Address-verification reports (sendmail -bv, Postfix verify) say deliverable / undeliverable.
    private static string? NormalizeAction(string? action) => action?.ToLowerInvariant() switch
    {
        null or "" => null,
        "deliverable" => "delivered",
        "undeliverable" => "failed",
        var value => value,
    };

    // --- RFC 3464 reports ---

    private static Report FindDeliveryReport(MimeMessage message, string? notice, out bool isReport)
    {
        isReport = message.Body is MultipartReport multipartReport
            && string.Equals(multipartReport.ReportType, "delivery-status", StringComparison.OrdinalIgnoreCase);

        foreach (var entity in MimeParts.Walk(message))
        {
            if (entity is MimePart part && entity.ContentType.MediaType.Equals("message", StringComparison.OrdinalIgnoreCase)
                && entity.ContentType.MediaSubtype.EndsWith("delivery-status", StringComparison.OrdinalIgnoreCase))
            {
                isReport = true;
                var report = ReadReport(ClassificationText.ReadPart(part));
                if (report.Recipients.Count > 0)
                    return report;
            }
        }

        if (notice is not null && SesNotificationReader.Read(notice, out var sesMta) is { } ses)
        {
            isReport = true;
            return new Report(sesMta, ses);
        }

        // Some MTAs write the report fields into the text itself; so may a person quoting a bounce, hence the
        // bounce-like sender or subject this asks for.
        if (notice is not null && notice.Contains("Final-Recipient:", StringComparison.OrdinalIgnoreCase) && LooksLikeBounce(message, notice))
        {
            var start = notice.IndexOf("Final-Recipient:", StringComparison.OrdinalIgnoreCase);
            if (start >= 0)
            {
                var reporting = notice.IndexOf("Reporting-MTA:", StringComparison.OrdinalIgnoreCase);
                return ReadReport(notice[(reporting >= 0 && reporting < start ? reporting : start)..]);
            }
        }
        return new Report(null, []);
    }

    private static Report ReadReport(string text)
    {
        string? reportingMta = null;
        var recipients = new List<Draft>();
        foreach (var group in ReportFields.Parse(text))
        {
            reportingMta ??= ReportFields.Get(group, "Reporting-MTA") is { } mta ? ClassificationText.StripType(mta) : null;

            // Usually one recipient per group; some MTAs run several together, so each further Final-Recipient
            // starts a new one, and fields before the first belong to the first.
            var segment = new List<KeyValuePair<string, string>>();
            var hasRecipient = false;
            foreach (var field in group)
            {
                var isFinal = field.Key.Equals("Final-Recipient", StringComparison.OrdinalIgnoreCase);
                if (isFinal && hasRecipient)
                {
                    AddRecipient(segment);
                    segment = [];
                }
                hasRecipient |= isFinal;
                segment.Add(field);
            }
            AddRecipient(segment);
        }
        return new Report(reportingMta, recipients);

        void AddRecipient(List<KeyValuePair<string, string>> fields)
        {
            var address = ReportFields.Get(fields, "Final-Recipient") is { } final ? ClassificationText.FieldAddress(final) : null;
            address ??= ReportFields.Get(fields, "Original-Recipient") is { } original ? ClassificationText.FieldAddress(original) : null;
            if (address is null || recipients.Count >= MaxRecipients
                || ReportFields.Get(fields, "Action") is null && ReportFields.Get(fields, "Status") is null)
                return;
            recipients.Add(new Draft
            {
                Address = address,
                Action = ReportFields.Get(fields, "Action")?.Split(' ', ';', '(')[0],
                Status = ReportFields.Get(fields, "Status"),
                Diagnostic = ReportFields.Get(fields, "Diagnostic-Code") is { } code ? ClassificationText.Collapse(ClassificationText.StripType(code)) : null,
                DiagnosticType = ReportFields.Get(fields, "Diagnostic-Code") is { } typed && typed.IndexOf(';') is > 0 and var semicolon ? typed[..semicolon].Trim() : null,
                RemoteMta = ReportFields.Get(fields, "Remote-MTA") is { } remote ? ClassificationText.StripType(remote) : null,
            });
        }
    }

    // --- Free-text bounces ---

    private static bool LooksLikeBounce(MimeMessage message, string? notice)
    {
        var daemon = IsDaemonSender(message);
        var nullReturnPath = message.Headers[HeaderId.ReturnPath] is { } returnPath && returnPath.Replace(" ", "", StringComparison.Ordinal) is "<>" or "";
        var subject = message.Subject;
        var subjectHit = subject is not null && ContainsAny(subject, BounceSubjects);
        var wordingHit = notice is not null && ContainsAny(notice, BounceWording);
        return subjectHit && (daemon || nullReturnPath || wordingHit) || daemon && wordingHit;
    }

    // Content-filtering gateways (McAfee Email Gateway, SurfControl E-mail Filter) mark the mail they write.
    private static bool IsFilteringGateway(MimeMessage message) =>
        message.Headers.Contains("X-NAI-Header")
        || message.Headers[HeaderId.XMailer] is { } mailer && mailer.Contains("filter", StringComparison.OrdinalIgnoreCase);

    private static bool IsDaemonSender(MimeMessage message)
    {
        foreach (var mailbox in message.From.Mailboxes)
        {
            var local = mailbox.LocalPart ?? string.Empty;
            foreach (var name in DaemonLocalParts)
            {
                if (local.Equals(name, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
            if (mailbox.Name is { } display && ContainsAny(display, DaemonNames))
                return true;
        }
        // A From without a domain ("From: mailer-daemon") does not parse as a mailbox.
        return message.Headers[HeaderId.From] is { } from && ContainsAny(from, DaemonNames);
    }

    private static List<Draft> FromText(MimeMessage message, string? notice, string? text)
    {
        var drafts = new List<Draft>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        // Exim names the failed recipients in a header.
        foreach (var header in message.Headers)
        {
            if (!header.Field.Equals("X-Failed-Recipients", StringComparison.OrdinalIgnoreCase))
                continue;
            var value = header.Value;
            foreach (var (start, length) in ClassificationText.Addresses(value))
                Add(value.Substring(start, length));
        }

        if (drafts.Count == 0 && notice is not null)
        {
            foreach (var address in NoticeRecipients(message, notice))
                Add(address);
        }

        // Last resort: the recipient of the returned message.
        if (drafts.Count == 0 && (OriginalRecipient(message) ?? QuotedRecipient(notice, text)) is { } original)
            Add(original);

        var delayed = message.Subject is { } subject && ContainsAny(subject, DelayWording);
        foreach (var draft in drafts)
            draft.Action = delayed ? "delayed" : "failed";
        return drafts;

        void Add(string address)
        {
            if (drafts.Count < MaxRecipients && seen.Add(address))
                drafts.Add(new Draft { Address = address });
        }
    }

    /// <summary>
    /// The recipients a free-text notice names, best evidence first. Addresses quoted as a sender or contact
    /// (<c>MAIL FROM:&lt;x&gt;</c>, <c>From: x</c>, <c>please contact x</c>) never count. Then, in order of preference:
    /// addresses that open a line (<c>&lt;user@host&gt;:</c>, an address alone on its line: how MTAs list failed
    /// recipients); any other address; an address in a quoted <c>To:</c> line; and last the bounce's own
    /// or daemon addresses, since a test bounce may well be addressed to postmaster.
    /// </summary>
    private static List<string> NoticeRecipients(MimeMessage message, string notice)
    {
        var own = OwnAddresses(message);
        var never = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var candidates = new List<(string Address, int Tier)>();
        foreach (var (start, length) in ClassificationText.Addresses(notice))
        {
            var address = notice.Substring(start, length);
            var context = Context(notice, start);
            if (context == AddressContext.Sender)
            {
                never.Add(address);
                continue;
            }
            var tier = own.Contains(address) || IsDaemonAddress(address) ? 3
                : context == AddressContext.QuotedTo ? 2
                : OpensLine(notice, start) ? 0
                : 1;
            candidates.Add((address, tier));
        }

        var best = int.MaxValue;
        foreach (var (address, tier) in candidates)
        {
            if (!never.Contains(address))
                best = Math.Min(best, tier);
        }
        var result = new List<string>();
        foreach (var (address, tier) in candidates)
        {
            if (tier == best && !never.Contains(address))
                result.Add(address);
        }
        return result;
    }

    private static bool OpensLine(string text, int start)
    {
        var lineStart = ClassificationText.LineStart(text, start);
        foreach (var c in text.AsSpan(lineStart, start - lineStart))
        {
            if (!(char.IsWhiteSpace(c) || c is '<' or '"' or '\''))
                return false;
        }
        return true;
    }

    private static HashSet<string> OwnAddresses(MimeMessage message)
    {
        var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var list in new[] { message.From, message.To, message.Cc, message.Sender is null ? [] : new InternetAddressList([message.Sender]) })
        {
            foreach (var mailbox in list.Mailboxes)
                own.Add(mailbox.Address);
        }
        return own;
    }

    private static bool IsDaemonAddress(string address)
    {
        var local = address.AsSpan(0, address.IndexOf('@'));
        foreach (var name in DaemonLocalParts)
        {
            if (local.Equals(name, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private enum AddressContext
    {
        None,
        Sender,
        QuotedTo,
    }

    private static readonly string[] SenderLabels = ["From:", "Sender:", "Reply-To:", "Message-ID:", "Return-Path:"];

    // An address quoted from the returned message's header ("From: x"), the SMTP envelope sender
    // ("MAIL FROM:<x>") or a help address ("please contact x") is not a recipient; one in a quoted
    // "To: x" line may be, when nothing better is named.
    private static AddressContext Context(string text, int start)
    {
        var lineStart = ClassificationText.LineStart(text, start);
        var before = text.AsSpan(lineStart, start - lineStart).Trim();
        if (before.Contains("RCPT", StringComparison.OrdinalIgnoreCase))
            return AddressContext.None;
        foreach (var label in SenderLabels)
        {
            if (before.StartsWith(label, StringComparison.OrdinalIgnoreCase))
                return AddressContext.Sender;
        }
        var tail = before.TrimEnd("<\"'");
        if (tail.EndsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase)
            || tail.EndsWith("contact", StringComparison.OrdinalIgnoreCase)
            || tail.Contains("envelope-from", StringComparison.OrdinalIgnoreCase)
            || tail.EndsWith("generated from", StringComparison.OrdinalIgnoreCase))
            return AddressContext.Sender;
        return before.StartsWith("To:", StringComparison.OrdinalIgnoreCase) || before.StartsWith("Cc:", StringComparison.OrdinalIgnoreCase)
            ? AddressContext.QuotedTo
            : AddressContext.None;
    }

    // The To of a returned message quoted in the text after the notice.
    private static string? QuotedRecipient(string? notice, string? text)
    {
        if (text is null || notice is null || notice.Length >= text.Length)
            return null;
        foreach (var group in ReportFields.Parse(text[notice.Length..]))
        {
            if (ReportFields.Get(group, "To") is { } to)
                return ClassificationText.FirstAddress(to);
        }
        return null;
    }

    private static string? OriginalRecipient(MimeMessage message)
    {
        foreach (var entity in MimeParts.Walk(message))
        {
            if (entity is MessagePart { Message: { } original })
                return original.To.Mailboxes.FirstOrDefault()?.Address;
            if (entity is MimePart part && part.ContentType.IsMimeType("text", "rfc822-headers"))
            {
                foreach (var group in ReportFields.Parse(ClassificationText.ReadPart(part)))
                {
                    if (ReportFields.Get(group, "To") is { } to)
                        return ClassificationText.FirstAddress(to);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// The lines of the notice that speak of one recipient: from the line where it is first named up to the line
    /// where the next recipient is first named, at most <see cref="MaxBlockLines"/> lines and
    /// <see cref="MaxBlockChars"/> characters; empty when the address is not in the notice.
    /// </summary>
    private static ReadOnlySpan<char> RecipientBlock(string notice, string address, int[] firstLines)
    {
        var at = notice.IndexOf(address, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
            return [];
        var start = ClassificationText.LineStart(notice, at);
        var end = notice.IndexOf('\n', at + address.Length);
        if (end < 0)
            end = notice.Length;

        // A sendmail transcript line ("550 <user@host>... User unknown") is the whole result for its recipient;
        // the lines after it belong to the next one.
        if (ClassificationText.FindReplyCode(notice.AsSpan(start, Math.Min(4, at - start))) != 0)
            return notice.AsSpan(start, end - start);

        // The next recipient's line bounds this block.
        var limit = Math.Min(notice.Length, start + MaxBlockChars);
        var next = Array.BinarySearch(firstLines, start + 1);
        next = next >= 0 ? next : ~next;
        if (next < firstLines.Length)
            limit = Math.Min(limit, firstLines[next]);

        for (var lines = 0; lines < MaxBlockLines && end < limit; lines++)
        {
            var following = notice.IndexOf('\n', end + 1);
            end = following < 0 ? notice.Length : following;
        }
        return notice.AsSpan(start, Math.Min(end, limit) - start);
    }

    private const int MaxBlockLines = 12;
    private const int MaxBlockChars = 2000;

    // Where each recipient is first named, as line starts, sorted.
    private static int[] FirstLines(string? notice, List<string> addresses)
    {
        if (notice is null)
            return [];
        var lines = new List<int>(addresses.Count);
        foreach (var address in addresses)
        {
            var at = notice.IndexOf(address, StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
                lines.Add(ClassificationText.LineStart(notice, at));
        }
        lines.Sort();
        return [.. lines];
    }

    private static bool ContainsAny(string text, string[] phrases)
    {
        var span = text.AsSpan(0, Math.Min(text.Length, MailClassifier.MaxScanChars));
        foreach (var phrase in phrases)
        {
            if (span.Contains(phrase, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
