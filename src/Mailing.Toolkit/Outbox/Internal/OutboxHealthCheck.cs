using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// <c>mailing.outbox</c>: Healthy while the oldest due message has waited less than <see cref="OutboxOptions.DegradedAfter"/>,
/// Degraded past it, and the registration's failure status when the store cannot be read. The data holds the counts.
/// </summary>
internal sealed class OutboxHealthCheck(IMailOutboxStore store, OutboxOptions options, OutboxTelemetry telemetry, TimeProvider time) : IHealthCheck
{
    public const string Name = "mailing.outbox";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        OutboxStatistics statistics;
        try
        {
            statistics = await store.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The {store} cannot be read: {ex.Message}", ex);
        }

        telemetry.Record(statistics);
        var age = statistics.OldestDueAt is { } oldest ? time.GetUtcNow() - oldest : TimeSpan.Zero;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["pending"] = statistics.Pending,
            ["due"] = statistics.Due,
            ["oldest_due_age_seconds"] = Math.Max(0, age.TotalSeconds),
            ["failed"] = statistics.Failed,
            ["maybe_delivered"] = statistics.MaybeDelivered,
        };
        return age > options.DegradedAfter
            ? HealthCheckResult.Degraded($"The oldest due message has waited {age:c}, longer than Mailing:Outbox:DegradedAfter ({options.DegradedAfter:c}).", data: data)
            : HealthCheckResult.Healthy($"{statistics.Due} message(s) due; none has waited longer than {options.DegradedAfter:c}.", data);
    }
}
