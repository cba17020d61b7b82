using System.Diagnostics.Metrics;
using Mailing.Toolkit.Telemetry;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>The instruments of the inbound pipeline, on the <see cref="MailingTelemetry.MeterName"/> meter.</summary>
internal sealed class InboundTelemetry : IDisposable
{
    private readonly Meter meter;
    private readonly bool ownsMeter;

    public InboundTelemetry(IMeterFactory? meterFactory = null)
    {
        // A factory caches and owns its meters; only a meter we created ourselves is ours to dispose.
        ownsMeter = meterFactory is null;
        meter = meterFactory?.Create(MailingTelemetry.MeterName) ?? new Meter(MailingTelemetry.MeterName);
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

    public void RecordHandled(string mailbox, string? route, string outcome) =>
        Handled.Add(1, Mailbox(mailbox), new("mailing.route", route), new("outcome", outcome));

    private IEnumerable<Measurement<int>> ObserveConnections()
    {
        foreach (var status in Mailboxes?.Invoke() ?? [])
        {
            // Nothing to say before the first pass ended.
            if (status.IsUp is { } up)
                yield return new Measurement<int>(up ? 1 : 0, Mailbox(status.Mailbox));
        }
    }

    public void Dispose()
    {
        if (ownsMeter)
            meter.Dispose();
    }
}
