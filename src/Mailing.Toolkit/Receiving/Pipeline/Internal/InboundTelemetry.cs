using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mailing.Toolkit.Telemetry;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>The instruments and the spans of the inbound pipeline, on the container's <see cref="MailingInstrumentation"/>.</summary>
internal sealed class InboundTelemetry
{
    private readonly ActivitySource source;

    public InboundTelemetry(MailingInstrumentation instrumentation)
    {
        ArgumentNullException.ThrowIfNull(instrumentation);
        source = instrumentation.ActivitySource;
        var meter = instrumentation.Meter;
        Received = meter.CreateCounter<long>("mailing.inbound.received", "{message}", "Messages taken from a mailbox by the inbound pipeline.");
        Handled = meter.CreateCounter<long>("mailing.inbound.handled", "{message}", "Messages the inbound pipeline is done with, by outcome.");
        Retries = meter.CreateCounter<long>("mailing.inbound.retries", "{attempt}", "Attempts made after a handler failed.");
        Quarantined = meter.CreateCounter<long>("mailing.inbound.quarantined", "{message}", "Messages moved to the quarantine folder, by error.type.");
        Lag = meter.CreateHistogram<double>("mailing.inbound.lag", "s", "Time from a message's arrival in the mailbox to the end of its handling.");
        PassFailures = meter.CreateCounter<long>("mailing.inbound.pass.failures", "{pass}", "Passes over a mailbox that failed (the receiver threw), by error.type.");
        meter.CreateObservableGauge("mailing.inbound.connection.state", ObserveConnections, "{state}", "1 when the last pass over a mailbox succeeded, 0 when it failed (server unreachable, login refused, state store failing).");
    }

    /// <summary>The mailboxes the connection-state gauge reports; set by the pipeline once its workers exist.</summary>
    public Func<IEnumerable<InboundMailboxStatus>>? Mailboxes { get; set; }

    public Counter<long> Received { get; }

    public Counter<long> Handled { get; }

    public Counter<long> Retries { get; }

    public Counter<long> Quarantined { get; }

    public Histogram<double> Lag { get; }

    public Counter<long> PassFailures { get; }

    public static KeyValuePair<string, object?> Mailbox(string mailbox) => new("mailing.mailbox", mailbox);

    /// <summary>Counts a message the pipeline is done with, and gives its receive span the same outcome.</summary>
    public void RecordHandled(Activity? receive, string mailbox, string? route, string outcome)
    {
        Handled.Add(1, Mailbox(mailbox), new("mailing.route", route), new("outcome", outcome));
        receive?.SetTag("outcome", outcome);
    }

    /// <summary>Starts the <see cref="MailingInstrumentation.ReceiveSpan"/> span of one message taken from <paramref name="mailbox"/>.</summary>
    public Activity? StartReceive(string mailbox)
    {
        var activity = source.StartActivity(MailingInstrumentation.ReceiveSpan, ActivityKind.Consumer);
        activity?.SetTag("mailing.mailbox", mailbox);
        return activity;
    }

    /// <summary>Starts the <see cref="MailingInstrumentation.HandleSpan"/> span of one attempt of a route's handlers.</summary>
    public Activity? StartHandle(string mailbox, string route, int attempt)
    {
        var activity = source.StartActivity(MailingInstrumentation.HandleSpan, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("mailing.mailbox", mailbox);
            activity.SetTag("mailing.route", route);
            activity.SetTag("mailing.attempt", attempt);
        }
        return activity;
    }

    private IEnumerable<Measurement<int>> ObserveConnections()
    {
        foreach (var status in Mailboxes?.Invoke() ?? [])
        {
            // Nothing to say before the first pass ended.
            if (status.IsUp is { } up)
                yield return new Measurement<int>(up ? 1 : 0, Mailbox(status.Mailbox));
        }
    }
}
