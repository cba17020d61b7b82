using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mailing.Toolkit.Telemetry;

/// <summary>
/// The one owner of the library's <see cref="Meter"/> and <see cref="ActivitySource"/>, a singleton per container.
/// Every feature creates its instruments on <see cref="Meter"/> and starts its spans on <see cref="ActivitySource"/>;
/// no feature creates a meter or a source of its own. Every instrument and span is listed in docs/telemetry.md.
/// </summary>
internal sealed class MailingInstrumentation : IDisposable
{
    /// <summary>One <see cref="IMailSender"/> call: <see cref="ActivityKind.Client"/>.</summary>
    public const string SendSpan = "mailing.send";

    /// <summary>One message taken by the inbound pipeline, from reading it to acknowledging it: <see cref="ActivityKind.Consumer"/>.</summary>
    public const string ReceiveSpan = "mailing.receive";

    /// <summary>One <see cref="Parsing.IMailParser"/> call: <see cref="ActivityKind.Internal"/>.</summary>
    public const string ParseSpan = "mailing.parse";

    /// <summary>One attempt of a route's handlers on one message: <see cref="ActivityKind.Internal"/>.</summary>
    public const string HandleSpan = "mailing.handle";

    /// <summary>One <see cref="AutoResponding.IAutoResponder"/> call: <see cref="ActivityKind.Internal"/>.</summary>
    public const string AutoReplySpan = "mailing.autoreply";

    private static readonly string? Version = typeof(MailingInstrumentation).Assembly.GetName().Version?.ToString();

    private readonly bool ownsMeter;

    /// <summary>Takes the meter from <paramref name="meterFactory"/> (which caches and owns it) or, without one, creates it.</summary>
    public MailingInstrumentation(IMeterFactory? meterFactory = null)
    {
        ownsMeter = meterFactory is null;
        var options = new MeterOptions(MailingTelemetry.MeterName) { Version = Version };
        Meter = meterFactory?.Create(options) ?? new Meter(options);
        ActivitySource = new ActivitySource(MailingTelemetry.ActivitySourceName, Version);
    }

    /// <summary>The <see cref="MailingTelemetry.MeterName"/> meter.</summary>
    public Meter Meter { get; }

    /// <summary>The <see cref="MailingTelemetry.ActivitySourceName"/> source.</summary>
    public ActivitySource ActivitySource { get; }

    /// <summary>
    /// The <c>error.type</c> attribute of a failure: a <see cref="MailDeliveryException.ErrorType"/>, <c>cancelled</c>,
    /// or the exception's type name.
    /// </summary>
    public static string ErrorType(Exception exception) => exception switch
    {
        MailDeliveryException delivery => delivery.ErrorType,
        OperationCanceledException => "cancelled",
        _ => exception.GetType().Name,
    };

    /// <summary>Marks a span as failed: the <c>error.type</c> attribute, and the status <c>Error</c> described by it.</summary>
    public static void SetError(Activity? activity, string errorType)
    {
        if (activity is null)
            return;
        activity.SetTag("error.type", errorType);
        activity.SetStatus(ActivityStatusCode.Error, errorType);
    }

    public void Dispose()
    {
        ActivitySource.Dispose();
        // A factory's meters are the factory's to dispose.
        if (ownsMeter)
            Meter.Dispose();
    }
}
