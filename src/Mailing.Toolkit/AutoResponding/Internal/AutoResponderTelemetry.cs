using System.Diagnostics.Metrics;
using Mailing.Toolkit.Telemetry;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>The instruments of the auto-responder, on the <see cref="MailingTelemetry.MeterName"/> meter.</summary>
internal sealed class AutoResponderTelemetry : IDisposable
{
    private readonly Meter meter;
    private readonly bool ownsMeter;

    public AutoResponderTelemetry(IMeterFactory? meterFactory = null)
    {
        // A factory caches and owns its meters; only a meter we created ourselves is ours to dispose.
        ownsMeter = meterFactory is null;
        meter = meterFactory?.Create(MailingTelemetry.MeterName) ?? new Meter(MailingTelemetry.MeterName);
        Sent = meter.CreateCounter<long>("mailing.autoreply.sent", "{message}", "Automatic replies sent, by rule.");
        Suppressed = meter.CreateCounter<long>("mailing.autoreply.suppressed", "{message}", "Received messages that got no automatic reply, by reason.");
    }

    public Counter<long> Sent { get; }

    public Counter<long> Suppressed { get; }

    public void RecordSent(string rule) => Sent.Add(1, new KeyValuePair<string, object?>("rule", rule));

    public void RecordSuppressed(AutoReplySuppression suppression) =>
        Suppressed.Add(1, new KeyValuePair<string, object?>("reason", ReasonTag(suppression)));

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
        _ => "other",
    };

    public void Dispose()
    {
        if (ownsMeter)
            meter.Dispose();
    }
}
