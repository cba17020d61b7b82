namespace Mailing.Toolkit.Telemetry;

/// <summary>
/// Names to subscribe to with OpenTelemetry: <c>.AddMeter(MailingTelemetry.MeterName)</c> and
/// <c>.AddSource(MailingTelemetry.ActivitySourceName)</c>. Every instrument is listed in docs/telemetry.md.
/// </summary>
public static class MailingTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of every mail operation.</summary>
    public const string ActivitySourceName = "Mailing.Toolkit";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of every instrument.</summary>
    public const string MeterName = "Mailing.Toolkit";
}
