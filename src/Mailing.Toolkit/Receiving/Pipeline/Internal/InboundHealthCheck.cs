using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>
/// Healthy while every mailbox had a successful pass within <see cref="InboundProcessingOptions.UnhealthyAfter"/>
/// (or the pipeline started less than that ago); the data holds each mailbox's last successful pass. Registered once
/// for the whole pipeline (<c>mailing.inbound</c>) and once per keyed mailbox (<c>mailing.inbound.{key}</c>, that
/// mailbox only).
/// </summary>
internal sealed class InboundHealthCheck(InboundProcessingService service, IOptions<InboundProcessingOptions> options, TimeProvider time, string? mailbox) : IHealthCheck
{
    public const string Name = "mailing.inbound";

    /// <summary>Registers the check of the whole pipeline.</summary>
    public static void AddTo(IServiceCollection services) =>
        services.AddHealthChecks().Add(new HealthCheckRegistration(Name, sp => Create(sp, null), failureStatus: null, tags: ["mailing", "inbound"]));

    /// <summary>Registers the check of one keyed mailbox, <c>mailing.inbound.{key}</c>.</summary>
    public static void AddFor(IServiceCollection services, string key) =>
        services.AddHealthChecks().Add(new HealthCheckRegistration($"{Name}.{key}", sp => Create(sp, key), failureStatus: null, tags: ["mailing", "inbound", "mailbox"]));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var limit = options.Value.EffectiveUnhealthyAfter;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var status in service.Statuses.Where(s => mailbox is null || s.Mailbox == mailbox))
        {
            var (lastSuccess, lastError) = status.Snapshot();
            data[status.Mailbox] = lastSuccess?.ToString("O", CultureInfo.InvariantCulture) ?? "never";
            if (lastError is not null)
                data[status.Mailbox + ".error"] = lastError;
            if (now - (lastSuccess ?? status.Created) > limit)
                stale.Add(status.Mailbox);
        }

        return Task.FromResult(stale.Count == 0
            ? HealthCheckResult.Healthy(mailbox is null ? "Every mailbox had a successful pass recently." : $"Mailbox {mailbox} had a successful pass recently.", data)
            : new HealthCheckResult(context.Registration.FailureStatus, $"No successful pass for longer than {limit:c}: {string.Join(", ", stale)}.", data: data));
    }

    private static InboundHealthCheck Create(IServiceProvider services, string? mailbox) => new(
        services.GetRequiredService<InboundProcessingService>(),
        services.GetRequiredService<IOptions<InboundProcessingOptions>>(),
        services.GetRequiredService<TimeProvider>(),
        mailbox);
}
