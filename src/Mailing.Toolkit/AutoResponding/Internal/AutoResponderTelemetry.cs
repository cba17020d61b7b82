using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Telemetry;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>The instruments and the span of the auto-responder, on the container's <see cref="MailingInstrumentation"/>.</summary>
internal sealed class AutoResponderTelemetry
{
    private readonly ActivitySource source;

    public AutoResponderTelemetry(MailingInstrumentation instrumentation)
    {
        ArgumentNullException.ThrowIfNull(instrumentation);
        source = instrumentation.ActivitySource;
        Sent = instrumentation.Meter.CreateCounter<long>("mailing.autoreply.sent", "{message}", "Automatic replies sent, by rule.");
        Suppressed = instrumentation.Meter.CreateCounter<long>("mailing.autoreply.suppressed", "{message}", "Received messages that got no automatic reply, by reason.");
    }

    public Counter<long> Sent { get; }

    public Counter<long> Suppressed { get; }

    public void RecordSent(string rule) => Sent.Add(1, new KeyValuePair<string, object?>("rule", rule));

    public void RecordSuppressed(AutoReplySuppression suppression) =>
        Suppressed.Add(1, new KeyValuePair<string, object?>("reason", ReasonTag(suppression)));

    /// <summary>
    /// Starts the <see cref="MailingInstrumentation.AutoReplySpan"/> span of one decision about <paramref name="mail"/>;
    /// the reply's <c>mailing.send</c> span is its child.
    /// </summary>
    public Activity? StartAutoReply(ParsedMail mail)
    {
        var activity = source.StartActivity(MailingInstrumentation.AutoReplySpan, ActivityKind.Internal);
        if (activity is not null && mail.MessageId is { } messageId)
            activity.SetTag("mailing.message_id", messageId);
        return activity;
    }

    /// <summary>What was decided: <c>rule</c> when a rule answered (or would have), <c>reason</c> when no reply was sent.</summary>
    public static void SetResponse(Activity? activity, AutoResponse response)
    {
        if (activity is null)
            return;
        if (response.Rule is { } rule)
            activity.SetTag("rule", rule);
        if (response.Suppression is { } suppression)
            activity.SetTag("reason", ReasonTag(suppression));
    }

    /// <summary>The stable <c>reason</c> attribute value of a suppression.</summary>
    public static string ReasonTag(AutoReplySuppression suppression) => suppression switch
    {
        AutoReplySuppression.NoRuleMatched => "no_rule_matched",
        AutoReplySuppression.RuleTimedOut => "rule_timed_out",
        AutoReplySuppression.AutoSubmitted => "auto_submitted",
        AutoReplySuppression.Bounce => "bounce",
        AutoReplySuppression.NullReturnPath => "null_return_path",
        AutoReplySuppression.MailingList => "mailing_list",
        AutoReplySuppression.SystemSender => "system_sender",
        AutoReplySuppression.OwnAddress => "own_address",
        AutoReplySuppression.NoReplyAddress => "no_reply_address",
        AutoReplySuppression.RecentlyReplied => "recently_replied",
        AutoReplySuppression.Unauthenticated => "unauthenticated",
        AutoReplySuppression.Spam => "spam",
        _ => "other",
    };
}
