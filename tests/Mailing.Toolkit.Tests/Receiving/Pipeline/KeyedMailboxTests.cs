using System.Collections.Concurrent;
using System.Text;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.Receiving.Pipeline;

/// <summary>
/// Two keyed Maildir mailboxes (<c>AddMaildirReceiver("billing", ...)</c>, <c>AddMaildirReceiver("support", ...)</c>)
/// beside the unnamed one, each with routes of its own (<c>Mailbox(key, routes)</c>): real temp folders, the real
/// receivers, parser and pipeline.
/// </summary>
public sealed class KeyedMailboxTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mailing-keyed-inbound-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly Seen seen = new();
    private int sequence;

    public KeyedMailboxTests()
    {
        foreach (var mailbox in new[] { "main", "billing", "support" })
        {
            foreach (var folder in new[] { "new", "cur", "tmp" })
                Directory.CreateDirectory(Path.Combine(root, mailbox, folder));
        }
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task RunPassAsync_TwoKeyedMaildirs_EachMessageTakesOnlyItsOwnMailboxsRoutes()
    {
        Deliver("main", "general question");
        Deliver("billing", "invoice 1");
        Deliver("billing", "invoice 2");
        Deliver("support", "help me");
        Deliver("support", "unrelated");
        await using var provider = Build();

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(new InboundPassResult(5, 4, 1, 0, 0), result);
        Assert.Equal(["default/default: general question"], seen.Of<SharedHandler>());
        Assert.Equal(["billing/default: invoice 1", "billing/default: invoice 2"], seen.Of<BillingHandler>().Order());
        Assert.Equal(["support/help: help me"], seen.Of<SupportHandler>());
        // Each mailbox acknowledged in its own folder: billing's route moves to Booked, support's unrouted message is marked seen.
        Assert.Equal(2, Files("billing", ".Booked/cur").Length);
        Assert.Empty(Files("billing", "new"));
        Assert.Equal(2, Files("support", "cur").Length);
        Assert.Single(Files("main", "cur"));
        Assert.Empty(Files("main", ".Booked/cur"));
    }

    [Fact]
    public async Task RunPassAsync_TwoKeyedMaildirs_MetricsCarryEachMailboxsKey()
    {
        Deliver("main", "general question");
        Deliver("billing", "invoice 1");
        Deliver("billing", "invoice 2");
        Deliver("support", "help me");
        await using var provider = Build();
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var received = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.received");
        using var handled = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.handled");
        using var state = new MetricCollector<int>(factory, "Mailing.Toolkit", "mailing.inbound.connection.state");

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
        state.RecordObservableInstruments();

        var receivedBy = received.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["mailing.mailbox"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.Equal(new Dictionary<string, long> { ["default"] = 1, ["billing"] = 2, ["support"] = 1 }, receivedBy);
        Assert.Equal(
            ["billing/default", "billing/default", "default/default", "support/help"],
            handled.GetMeasurementSnapshot().Select(m => $"{m.Tags["mailing.mailbox"]}/{m.Tags["mailing.route"]}").Order());
        Assert.Equal(["billing", "default", "support"], state.GetMeasurementSnapshot().Select(m => (string)m.Tags["mailing.mailbox"]!).Order());
    }

    [Fact]
    public async Task HealthCheck_TwoKeyedMaildirs_EachHasItsOwnEntryAndOnlyTheFailingOneGoesUnhealthy()
    {
        await using var provider = Build(o => o.UnhealthyAfter = TimeSpan.FromMinutes(5));
        var processor = provider.GetRequiredService<IInboundMailProcessor>();
        var health = provider.GetRequiredService<HealthCheckService>();
        // The support Maildir disappears after start (an unmounted share): its passes fail, the others go on.
        Directory.Delete(Path.Combine(root, "support"), recursive: true);
        Deliver("billing", "invoice");

        await Assert.ThrowsAnyAsync<IOException>(() => processor.RunPassAsync());
        var fresh = await health.CheckHealthAsync();
        time.Advance(TimeSpan.FromMinutes(6));
        await Assert.ThrowsAnyAsync<IOException>(() => processor.RunPassAsync());
        var later = await health.CheckHealthAsync();

        Assert.Equal(["invoice"], seen.Of<BillingHandler>().Select(s => s.Split(": ")[1]));
        Assert.Equal(["mailing.inbound", "mailing.inbound.billing", "mailing.inbound.support"], fresh.Entries.Keys.Order());
        Assert.Equal(["billing"], fresh.Entries["mailing.inbound.billing"].Data.Keys);
        Assert.Equal(["support", "support.error"], later.Entries["mailing.inbound.support"].Data.Keys.Order());
        Assert.Equal("never", later.Entries["mailing.inbound.support"].Data["support"]);
        Assert.Equal(HealthStatus.Healthy, later.Entries["mailing.inbound.billing"].Status);
        Assert.Equal("2026-03-01T08:06:00.0000000+00:00", later.Entries["mailing.inbound.billing"].Data["billing"]);
        Assert.Equal(HealthStatus.Unhealthy, later.Entries["mailing.inbound.support"].Status);
        Assert.Contains("support", later.Entries["mailing.inbound.support"].Description, StringComparison.Ordinal);
        // The whole pipeline's entry sees every mailbox, so it is unhealthy too.
        Assert.Equal(HealthStatus.Unhealthy, later.Entries["mailing.inbound"].Status);
        Assert.Equal(["billing", "default", "support", "support.error"], later.Entries["mailing.inbound"].Data.Keys.Order());
    }

    [Fact]
    public async Task RunPassAsync_KeyedReceiverNoMailboxNames_IsNotProcessed()
    {
        Deliver("main", "general question");
        Deliver("billing", "invoice");
        var services = Services();
        services.AddMailing()
            .AddMaildirReceiver(Path.Combine(root, "main"))
            .AddMaildirReceiver("billing", Path.Combine(root, "billing"))
            .AddInboundProcessing(p => p.Default().Handle<SharedHandler>());
        await using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(1, result.Received);
        Assert.Equal(["default/default: general question"], seen.Of<SharedHandler>());
        Assert.Single(Files("billing", "new"));
    }

    private ServiceProvider Build(Action<InboundProcessingOptions>? options = null)
    {
        var services = Services();
        services.AddMailing()
            .AddMaildirReceiver(Path.Combine(root, "main"))
            .AddMaildirReceiver("billing", Path.Combine(root, "billing"))
            .AddMaildirReceiver("support", o => o.Path = Path.Combine(root, "support"))
            .AddInboundProcessing(
                p =>
                {
                    p.Default().Handle<SharedHandler>();
                    p.Mailbox("billing", billing => billing.Default().Handle<BillingHandler>().MoveTo("Booked"));
                    p.Mailbox("support", support => support.Route("help").WithSubject("help").Handle<SupportHandler>());
                },
                o =>
                {
                    o.RetryBaseDelay = TimeSpan.Zero;
                    options?.Invoke(o);
                });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(seen);
        return services;
    }

    private void Deliver(string mailbox, string subject)
    {
        var path = Path.Combine(root, mailbox, "new", $"17700000{Interlocked.Increment(ref sequence):D2}.M{sequence}P1.test");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(InboundHarness.Message(subject: subject)));
        File.SetLastWriteTimeUtc(path, new DateTime(2026, 3, 1, 7, 0, 0, DateTimeKind.Utc).AddSeconds(sequence));
    }

    private string[] Files(string mailbox, string folder)
    {
        var path = Path.Combine(root, mailbox, folder);
        return Directory.Exists(path) ? Directory.GetFiles(path) : [];
    }

    /// <summary>What each handler type saw: <c>{mailbox}/{route}: {subject}</c>.</summary>
    internal sealed class Seen
    {
        private readonly ConcurrentQueue<(Type Handler, string Line)> lines = new();

        public void Add(Type handler, InboundMail mail) => lines.Enqueue((handler, $"{mail.Mailbox}/{mail.Route.Name}: {mail.Mail.Subject}"));

        public string[] Of<THandler>() => lines.Where(l => l.Handler == typeof(THandler)).Select(l => l.Line).ToArray();
    }

    internal sealed class SharedHandler(Seen seen) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            seen.Add(GetType(), mail);
            return Task.CompletedTask;
        }
    }

    internal sealed class BillingHandler(Seen seen) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            seen.Add(GetType(), mail);
            return Task.CompletedTask;
        }
    }

    internal sealed class SupportHandler(Seen seen) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            seen.Add(GetType(), mail);
            return Task.CompletedTask;
        }
    }
}
