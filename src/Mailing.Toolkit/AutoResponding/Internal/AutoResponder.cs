using Mailing.Toolkit.Addressing.Internal;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Telemetry;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>
/// The <see cref="IAutoResponder"/>: the RFC 3834 guards, then the rules in order, then the per-sender history,
/// then one reply with <c>Auto-Submitted: auto-replied</c> and the null reverse path.
/// </summary>
internal sealed class AutoResponder : IAutoResponder
{
    private readonly AutoResponderOptions options;
    private readonly CompiledRule[] rules;
    private readonly AddressPattern[] ownAddresses;
    private readonly EmailAddress? defaultFrom;
    private readonly EmailAddress? mailingDefaultFrom;
    private readonly IMailSender sender;
    private readonly IAutoReplyHistory history;
    private readonly IMailTemplateRenderer? renderer;
    private readonly AutoResponderTelemetry telemetry;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    public AutoResponder(
        AutoResponderOptions options,
        string? mailingDefaultFrom,
        IMailSender sender,
        IAutoReplyHistory history,
        IMailTemplateRenderer? renderer,
        AutoResponderTelemetry telemetry,
        TimeProvider time,
        ILogger<AutoResponder> logger)
    {
        this.options = options;
        this.sender = sender;
        this.history = history;
        this.renderer = renderer;
        this.telemetry = telemetry;
        this.time = time;
        this.logger = logger;
        rules = options.Rules.Select(r => new CompiledRule(r, options.RegexTimeout)).ToArray();
        defaultFrom = options.From is { Length: > 0 } from ? EmailAddress.Parse(from) : null;
        // The sender fills a missing From with Mailing:DefaultFrom: replies without a From of ours come from there.
        this.mailingDefaultFrom = EmailAddress.TryParse(mailingDefaultFrom, out var fallback) ? fallback : null;

        // Every address we answer from is ours: a reply to it would answer ourselves.
        ownAddresses = options.OwnAddresses.Select(p => new AddressPattern(p))
            .Concat(options.Rules.Select(r => r.From is { Length: > 0 } f ? EmailAddress.Parse(f).Address : null)
                .Append(defaultFrom?.Address)
                .Append(this.mailingDefaultFrom?.Address)
                .OfType<string>()
                .Select(AddressPattern.Exact))
            .ToArray();
    }

    public Task<AutoResponse> RespondAsync(ParsedMail mail, string? recipient = null, CancellationToken cancellationToken = default) =>
        RespondAsync(mail, new AutoReplyContext(recipient), cancellationToken);

    public async Task<AutoResponse> RespondAsync(ParsedMail mail, AutoReplyContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mail);
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = telemetry.StartAutoReply(mail);
        try
        {
            var response = await DecideAndReplyAsync(mail, context, cancellationToken).ConfigureAwait(false);
            AutoResponderTelemetry.SetResponse(activity, response);
            return response;
        }
        catch (Exception ex)
        {
            MailingInstrumentation.SetError(activity, MailingInstrumentation.ErrorType(ex));
            throw;
        }
    }

    private async Task<AutoResponse> DecideAndReplyAsync(ParsedMail mail, AutoReplyContext context, CancellationToken cancellationToken)
    {
        var recipient = context.Recipient;
        var fromAddress = Author(mail)?.Address;
        if (LoopGuards.CheckMessage(mail) is { } sentAutomatically)
            return Suppress(mail, null, sentAutomatically, fromAddress);
        if (context.Untrusted() is { Suppression: { } suppression, Reason: var reason })
            return Suppress(mail, null, new Suppressed(suppression, reason!), fromAddress);
        if (ReplyTarget(mail) is not { } target)
            return Suppress(mail, null, new Suppressed(AutoReplySuppression.NoReplyAddress, "no Return-Path or From address"), fromAddress);
        if (CheckAddresses(mail, recipient, target, fromAddress) is { } notAPerson)
            return Suppress(mail, null, notAPerson, target.Address);

        var recipients = recipient is { Length: > 0 } ? [recipient] : mail.DeliveredTo.Concat(mail.To.Concat(mail.Cc).Select(a => a.Address)).ToArray();
        var input = new RuleInput(mail, recipients, fromAddress ?? target.Address, time.GetUtcNow());
        var (rule, values, timedOut) = options.Enabled ? FindRule(input) : (null, null, false);
        if (rule is null)
        {
            var none = !options.Enabled ? new Suppressed(AutoReplySuppression.NoRuleMatched, "the auto-responder is disabled")
                : timedOut ? new Suppressed(AutoReplySuppression.RuleTimedOut, "a rule's pattern timed out")
                : new Suppressed(AutoReplySuppression.NoRuleMatched, "no rule matched");
            return Suppress(mail, null, none, target.Address);
        }

        var from = rule.Rule.From is { Length: > 0 } ruleFrom ? EmailAddress.Parse(ruleFrom)
            : defaultFrom ?? (EmailAddress.TryParse(recipient, out var received) ? received : null);
        var responder = ((from ?? mailingDefaultFrom)?.Address ?? string.Empty).ToLowerInvariant();
        var correspondent = target.Address.ToLowerInvariant();
        var now = input.Now;
        if (!await history.TryRecordAsync(responder, correspondent, now, rule.Rule.Interval ?? options.Interval, cancellationToken).ConfigureAwait(false))
            return Suppress(mail, rule.Name, new Suppressed(AutoReplySuppression.RecentlyReplied, "already answered within the interval"), correspondent);

        try
        {
            var model = CreateModel(mail, rule, values!, target, recipient);
            var message = await BuildReplyAsync(mail, rule, model, from, target, cancellationToken).ConfigureAwait(false);
            using var mime = message.ToMimeMessage();
            var result = await sender.SendAsync(mime, new MailEnvelope(sender: null, [target]), cancellationToken).ConfigureAwait(false);

            telemetry.RecordSent(rule.Name);
            Log.ReplySent(logger, result.MessageId, mail.MessageId, rule.Name);
            Log.ReplySentDetails(logger, mail.MessageId, from?.Address, target.Address, message.Subject ?? string.Empty);
            return new AutoResponse(true, rule.Name, null, null, result);
        }
        catch (Exception ex)
        {
            // Unsent means not answered: the sender's next message may still get a reply.
            await history.RemoveAsync(responder, correspondent, now, CancellationToken.None).ConfigureAwait(false);
            Log.SendFailed(logger, mail.MessageId, rule.Name, ex is MailDeliveryException delivery ? delivery.ErrorType : ex.GetType().Name);
            throw;
        }
    }

    /// <summary>
    /// RFC 3834 section 4: a response generated after delivery goes to the Return-Path. Without one (a message
    /// read from a store that dropped the trace fields), the From address is the best that remains; Reply-To is never
    /// used, because it may name a list or a third party.
    /// </summary>
    private static EmailAddress? ReplyTarget(ParsedMail mail)
    {
        var path = mail.ReturnPath?.Address ?? mail.GetHeader("Return-Path")?.Trim().Trim('<', '>');
        if (!string.IsNullOrWhiteSpace(path))
            return EmailAddress.TryParse(path, out var returnPath) ? returnPath : null;
        return EmailAddress.TryParse(Author(mail)?.Address, out var author) ? author : null;
    }

    private static ParsedAddress? Author(ParsedMail mail) => mail.From.Count > 0 ? mail.From[0] : null;

    private Suppressed? CheckAddresses(ParsedMail mail, string? recipient, EmailAddress target, string? fromAddress)
    {
        var own = ownAddresses.AsEnumerable();
        if (recipient is { Length: > 0 })
            own = own.Append(AddressPattern.Exact(recipient));
        own = own.Concat(mail.DeliveredTo.Select(AddressPattern.Exact));
        var ours = own.ToArray();
        return LoopGuards.CheckAddress(target.Address, ours)
            ?? (fromAddress is not null ? LoopGuards.CheckAddress(fromAddress, ours) : null);
    }

    private (CompiledRule? Rule, Dictionary<string, string>? Values, bool TimedOut) FindRule(RuleInput input)
    {
        var timedOut = false;
        foreach (var rule in rules)
        {
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            switch (rule.Match(input, values, out var field))
            {
                case RuleMatch.Match:
                    return (rule, values, timedOut);
                case RuleMatch.TimedOut:
                    timedOut = true;
                    Log.RuleTimedOut(logger, rule.Name, field!, input.Mail.MessageId, rule.Timeout.TotalMilliseconds);
                    break;
            }
        }

        return (null, null, timedOut);
    }

    private AutoResponse Suppress(ParsedMail mail, string? rule, Suppressed suppressed, string? address)
    {
        telemetry.RecordSuppressed(suppressed.Suppression);
        Log.Suppressed(logger, mail.MessageId, suppressed.Suppression, suppressed.Reason);
        Log.SuppressedDetails(logger, mail.MessageId, address, suppressed.Suppression);
        return new AutoResponse(false, rule, suppressed.Suppression, suppressed.Reason, null);
    }

    private static AutoReplyTemplateModel CreateModel(ParsedMail mail, CompiledRule rule, Dictionary<string, string> values, EmailAddress target, string? recipient)
    {
        var author = Author(mail);
        return new AutoReplyTemplateModel
        {
            Rule = rule.Name,
            Subject = TextValues.SingleLine(mail.Subject),
            NormalizedSubject = TextValues.StripPrefixes(mail.NormalizedSubject ?? mail.Subject),
            FromName = TextValues.SingleLine(author?.Name is { Length: > 0 } name ? name : author?.Address ?? target.Address),
            FromAddress = TextValues.SingleLine(author?.Address ?? target.Address),
            ReplyTo = target.Address,
            Recipient = recipient is null ? null : TextValues.SingleLine(recipient),
            MessageId = mail.MessageId is null ? null : TextValues.SingleLine(mail.MessageId),
            Date = mail.Date,
            Values = values,
        };
    }

    private async Task<MailMessage> BuildReplyAsync(ParsedMail mail, CompiledRule rule, AutoReplyTemplateModel model, EmailAddress? from, EmailAddress target, CancellationToken cancellationToken)
    {
        var placeholders = Placeholders(model);
        var subject = rule.Rule.ReplySubject is { Length: > 0 } replySubject
            ? TextValues.Fill(replySubject, placeholders, html: false)
            : null;
        string? text = rule.Rule.Text is null ? null : TextValues.Fill(rule.Rule.Text, placeholders, html: false);
        string? html = rule.Rule.Html is null ? null : TextValues.Fill(rule.Rule.Html, placeholders, html: true);

        if (rule.Rule.Template is { Length: > 0 } template && renderer is not null)
        {
            var rendered = await renderer.RenderAsync(template, model, culture: null, cancellationToken).ConfigureAwait(false);
            subject ??= string.IsNullOrWhiteSpace(rendered.Subject) ? null : rendered.Subject;
            (text, html) = (rendered.TextBody, rendered.HtmlBody);
        }

        var message = new MailMessage
        {
            From = from,
            // A template may end its subject with a line break; user values were made single-line already.
            Subject = TextValues.SingleLine(subject ?? DefaultSubject(model.NormalizedSubject)),
            TextBody = text,
            HtmlBody = html,
        };
        message.To.Add(target);
        message.Headers.Add("Auto-Submitted", "auto-replied");
        // Asks Exchange and Outlook not to answer the answer.
        message.Headers.Add("X-Auto-Response-Suppress", "All");
        AddThreading(message, mail);
        return message;
    }

    private static string DefaultSubject(string normalized) => normalized.Length == 0 ? "Automatic reply" : "Re: " + normalized;

    /// <summary>RFC 3834 section 3 and RFC 5322 section 3.6.4: In-Reply-To the message, References its chain plus the message.</summary>
    private static void AddThreading(MailMessage message, ParsedMail mail)
    {
        if (!IsSafeMessageId(mail.MessageId))
            return;
        message.Headers.Add("In-Reply-To", $"<{mail.MessageId}>");

        var chain = mail.References.Where(IsSafeMessageId).ToList();
        // Keep the thread root and the most recent entries, so a long thread does not grow the header without bound.
        if (chain.Count > 20)
            chain = [chain[0], .. chain.Skip(chain.Count - 19)];
        chain.Add(mail.MessageId!);
        message.Headers.Add("References", string.Join(' ', chain.Select(id => $"<{id}>")));
    }

    /// <summary>A Message-ID from the received message is echoed only when it is printable ASCII without spaces or brackets.</summary>
    private static bool IsSafeMessageId(string? id) =>
        id is { Length: > 0 and <= 250 } && id.All(c => c > ' ' && c < 127 && c is not '<' and not '>');

    private static Dictionary<string, string> Placeholders(AutoReplyTemplateModel model)
    {
        var values = new Dictionary<string, string>(model.Values, StringComparer.OrdinalIgnoreCase)
        {
            [nameof(model.Rule)] = model.Rule,
            [nameof(model.Subject)] = model.Subject,
            [nameof(model.NormalizedSubject)] = model.NormalizedSubject,
            [nameof(model.FromName)] = model.FromName,
            [nameof(model.FromAddress)] = model.FromAddress,
            [nameof(model.ReplyTo)] = model.ReplyTo,
            [nameof(model.Recipient)] = model.Recipient ?? string.Empty,
            [nameof(model.MessageId)] = model.MessageId ?? string.Empty,
        };
        return values;
    }
}
