using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>
/// Healthy while every mailbox had a successful pass within <see cref="InboundProcessingOptions.UnhealthyAfter"/>
/// (or the pipeline started less than that ago); the data holds each mailbox's last successful pass.
/// </summary>
internal sealed class InboundHealthCheck(InboundProcessingService service, IOptions<InboundProcessingOptions> options, TimeProvider time) : IHealthCheck
{
    public const string Name = "mailing.inbound";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var limit = options.Value.EffectiveUnhealthyAfter;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var status in service.Statuses)
        {
            var (lastSuccess, lastError) = status.Snapshot();
            data[status.Mailbox] = lastSuccess?.ToString("O", CultureInfo.InvariantCulture) ?? "never";
            if (lastError is not null)
                data[status.Mailbox + ".error"] = lastError;
            if (now - (lastSuccess ?? status.Created) > limit)
                stale.Add(status.Mailbox);
        }

        return Task.FromResult(stale.Count == 0
            ? HealthCheckResult.Healthy("Every mailbox had a successful pass recently.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, $"No successful pass for longer than {limit:c}: {string.Join(", ", stale)}.", data: data));
    }
}
