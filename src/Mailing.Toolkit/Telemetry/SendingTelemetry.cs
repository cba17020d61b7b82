using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mailing.Toolkit.Telemetry;

/// <summary>The instruments of the sending side; one instance per container, from <see cref="IMeterFactory"/> when available.</summary>
internal sealed class SendingTelemetry : IDisposable
{
    internal static readonly ActivitySource ActivitySource = new(MailingTelemetry.ActivitySourceName);

    private readonly Meter meter;
    private readonly bool ownsMeter;

    public SendingTelemetry(IMeterFactory? meterFactory = null)
    {
        // A factory caches and owns its meters; only a meter we created ourselves is ours to dispose.
        ownsMeter = meterFactory is null;
        meter = meterFactory?.Create(MailingTelemetry.MeterName) ?? new Meter(MailingTelemetry.MeterName);
        Sent = meter.CreateCounter<long>("mailing.messages.sent", "{message}", "Messages accepted by the transport for at least one recipient.");
        Failed = meter.CreateCounter<long>("mailing.messages.failed", "{message}", "Messages that could not be sent, by error.type.");
        Duration = meter.CreateHistogram<double>("mailing.send.duration", "s", "Time to send one message, retries included.");
        Retries = meter.CreateCounter<long>("mailing.send.retries", "{attempt}", "Attempts made after a transient failure.");
        ConnectionsOpen = meter.CreateUpDownCounter<long>("mailing.smtp.connections.open", "{connection}", "SMTP connections open in the pool.");
        ConnectionsBusy = meter.CreateUpDownCounter<long>("mailing.smtp.connections.busy", "{connection}", "SMTP connections currently sending a message.");
    }

    public Counter<long> Sent { get; }

    public Counter<long> Failed { get; }

    public Histogram<double> Duration { get; }

    public Counter<long> Retries { get; }

    public UpDownCounter<long> ConnectionsOpen { get; }

    public UpDownCounter<long> ConnectionsBusy { get; }

    public void Dispose()
    {
        if (ownsMeter)
            meter.Dispose();
    }
}
