using System.Diagnostics;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MimeKit;

namespace Mailing.Toolkit.Tests.Outbox;

/// <summary>The in-memory outbox with its dispatcher: metrics of a dispatched message, and the warning that it is not durable.</summary>
public sealed class OutboxTelemetryTests
{
    [Fact]
    public async Task Dispatcher_SendsAQueuedMessage_CountsTheOutcomeAndReportsTheBacklog()
    {
        var logs = new FakeLogCollector();
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging(l => l.AddProvider(new FakeLoggerProvider(logs)));
        services.AddMailing(o => o.DefaultFrom = "app@example.test").AddInMemorySender().AddOutbox(o => o.PollInterval = TimeSpan.FromMilliseconds(20));
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var dispatched = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.outbox.dispatched");
        using var duration = new MetricCollector<double>(factory, "Mailing.Toolkit", "mailing.outbox.dispatch.duration");
        using var pending = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.outbox.pending");
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse("bob@example.test"));
        message.Subject = "Welcome";
        message.Body = new TextPart("plain") { Text = "Hi" };
        await outbox.EnqueueAsync(message, new OutboxEnqueueOptions { NotBefore = DateTimeOffset.UtcNow.AddHours(1) });
        var queued = await outbox.EnqueueAsync(message);

        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        while ((await outbox.GetAsync(queued.Id))!.State != OutboxState.Sent && clock.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(10);
        foreach (var service in hosted.Reverse())
            await service.StopAsync(CancellationToken.None);

        Assert.Equal("Welcome", Assert.Single(provider.GetRequiredService<InMemoryOutbox>().Messages).Subject);
        var outcome = Assert.Single(dispatched.GetMeasurementSnapshot());
        Assert.Equal("sent", outcome.Tags["mailing.outbox.outcome"]);
        Assert.Single(duration.GetMeasurementSnapshot());
        // The gauges show the last statistics read; the health check reads them afresh.
        var health = await provider.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, health.Entries["mailing.outbox"].Status);
        pending.RecordObservableInstruments();
        Assert.Equal(1, pending.LastMeasurement!.Value); // the scheduled one
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 7010);
    }
}
