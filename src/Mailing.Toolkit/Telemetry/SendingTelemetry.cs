using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mailing.Toolkit.Telemetry;

/// <summary>The instruments and the span of the sending side, on the container's <see cref="MailingInstrumentation"/>.</summary>
internal sealed class SendingTelemetry
{
    private readonly ActivitySource source;

    public SendingTelemetry(MailingInstrumentation instrumentation)
    {
        ArgumentNullException.ThrowIfNull(instrumentation);
        source = instrumentation.ActivitySource;
        var meter = instrumentation.Meter;
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

    /// <summary>Starts the <see cref="MailingInstrumentation.SendSpan"/> span of one send, with its transport and sender.</summary>
    public Activity? StartSend(string transport, string? sender)
    {
        var activity = source.StartActivity(MailingInstrumentation.SendSpan, ActivityKind.Client);
        activity?.SetTag("mailing.transport", transport);
        activity?.SetTag("mailing.sender", sender ?? "default");
        return activity;
    }
}
