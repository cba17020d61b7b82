using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>Helpers for tests (and the benchmark) that run the inbound pipeline as a hosted service.</summary>
public static class HostedPipeline
{
    /// <summary>
    /// Waits until the <c>mailing.inbound</c> health check reports a finished pass of the default mailbox: from then
    /// on the hosted pipeline waits for new mail (in IDLE with the IMAP receiver).
    /// </summary>
    public static async Task WaitForFirstPassAsync(IServiceProvider provider, TimeSpan timeout)
    {
        var health = provider.GetRequiredService<HealthCheckService>();
        using var limit = new CancellationTokenSource(timeout);
        while (true)
        {
            var report = await health.CheckHealthAsync(limit.Token);
            if (report.Entries.TryGetValue("mailing.inbound", out var entry) && entry.Data.TryGetValue("default", out var last) && last is not "never")
                return;
            await Task.Delay(100, limit.Token);
        }
    }
}
