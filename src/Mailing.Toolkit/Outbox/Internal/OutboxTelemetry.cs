using System.Diagnostics.Metrics;
using Mailing.Toolkit.Telemetry;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// The outbox's instruments: dispatch outcomes as a counter, and the backlog (pending, due, age of the oldest due
/// message) as gauges read from the last statistics the dispatcher or the health check fetched.
/// </summary>
internal sealed class OutboxTelemetry
{
    private readonly TimeProvider time;
    private OutboxStatistics? last;

    public OutboxTelemetry(MailingInstrumentation instrumentation, TimeProvider time)
    {
        this.time = time;
        var meter = instrumentation.Meter;
        Dispatched = meter.CreateCounter<long>("mailing.outbox.dispatched", "{message}", "Outbox rows the dispatcher finished an attempt on, by mailing.outbox.outcome (sent, retry, failed, maybe_delivered, lease_lost).");
        Duration = meter.CreateHistogram<double>("mailing.outbox.dispatch.duration", "s", "Time from a worker taking a leased row to its outcome being recorded.");
        meter.CreateObservableGauge("mailing.outbox.pending", () => Volatile.Read(ref last)?.Pending ?? 0, "{message}", "Rows queued or being sent, at the last statistics read.");
        meter.CreateObservableGauge("mailing.outbox.due", () => Volatile.Read(ref last)?.Due ?? 0, "{message}", "Rows due now, at the last statistics read.");
        meter.CreateObservableGauge("mailing.outbox.failed", () => Volatile.Read(ref last)?.Failed ?? 0, "{message}", "Rows in the dead-letter state, at the last statistics read.");
        meter.CreateObservableGauge("mailing.outbox.maybe_delivered", () => Volatile.Read(ref last)?.MaybeDelivered ?? 0, "{message}", "Rows that may have been delivered and wait for a decision, at the last statistics read.");
        meter.CreateObservableGauge("mailing.outbox.oldest_due.age", OldestDueAge, "s", "How long the oldest due row has waited, at the last statistics read; 0 when none is due.");
    }

    public Counter<long> Dispatched { get; }

    public Histogram<double> Duration { get; }

    /// <summary>When the statistics were last read, for callers that refresh them at an interval.</summary>
    public DateTimeOffset? LastReadAt { get; private set; }

    public OutboxStatistics? Last => Volatile.Read(ref last);

    public void Record(OutboxStatistics statistics)
    {
        Volatile.Write(ref last, statistics);
        LastReadAt = time.GetUtcNow();
    }

    public void Outcome(string outcome, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("mailing.outbox.outcome", outcome);
        Dispatched.Add(1, tag);
        Duration.Record(elapsed.TotalSeconds, tag);
    }

    private double OldestDueAge() =>
        Volatile.Read(ref last)?.OldestDueAt is { } oldest ? Math.Max(0, (time.GetUtcNow() - oldest).TotalSeconds) : 0;
}
