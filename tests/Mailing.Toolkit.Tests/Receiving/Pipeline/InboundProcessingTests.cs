using System.Text;
using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;

namespace Mailing.Toolkit.Tests.Receiving.Pipeline;

public sealed class InboundProcessingTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly InboundHarness harness = new();

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task RunPassAsync_HandlerThrows_RetriedThenQuarantinedByteIdenticalWhileOthersAreHandled()
    {
        var before = harness.Deliver(InboundHarness.Message(subject: "ok 1"));
        var failing = InboundHarness.Message(subject: "please fail", extraHeaders: "X-Odd:  kept   as is\r\n");
        var failingName = harness.Deliver(failing);
        var after = harness.Deliver(InboundHarness.Message(subject: "ok 2"));
        await using var provider = harness.Build(p => p.Default().Handle<FailingHandler>(), o => o.MaxAttempts = 3);

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(new InboundPassResult(3, 2, 0, 1, 0), result);
        Assert.Equal([1, 2, 3], harness.Log.Calls.Where(c => c.Subject == "please fail").Select(c => c.Attempt).Order());
        var quarantined = Assert.Single(harness.Files(".Quarantine/cur"));
        Assert.StartsWith(failingName, quarantined, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetBytes(failing), File.ReadAllBytes(Path.Combine(harness.Root, ".Quarantine", "cur", quarantined)));
        Assert.Equal([before + ":2,S", after + ":2,S"], harness.Files("cur").Order());
        Assert.Empty(harness.Files("new"));
    }

    [Fact]
    public async Task RunPassAsync_FailsOnceThenSucceeds_CountedAsRetriedAndAcknowledged()
    {
        var name = harness.Deliver(InboundHarness.Message(subject: "flaky"));
        await using var provider = harness.Build(p => p.Default().Handle<FlakyHandler>(), mailing: m => m.Services.AddSingleton<FlakyHandler.State>());
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var handled = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.handled");
        using var retries = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.retries");

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal([name + ":2,S"], harness.Files("cur"));
        var outcome = Assert.Single(handled.GetMeasurementSnapshot());
        Assert.Equal("retried", outcome.Tags["outcome"]);
        var retry = Assert.Single(retries.GetMeasurementSnapshot());
        Assert.Equal("TimeoutException", retry.Tags["error.type"]);
    }

    [Fact]
    public async Task RunPassAsync_UnparseableMessage_QuarantinedWithoutCallingAHandler()
    {
        var huge = InboundHarness.Message(subject: "x" + new string('y', 300));
        var name = harness.Deliver(huge);
        var fine = harness.Deliver(InboundHarness.Message(subject: "fine"));
        await using var provider = harness.Build(
            p => p.Default().Handle<RecordingHandler>(),
            mailing: m => m.AddMailParser(o => o.MaxHeaderFieldLength = 200));
        using var quarantined = new MetricCollector<long>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Mailing.Toolkit", "mailing.inbound.quarantined");

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(new InboundPassResult(2, 1, 0, 1, 0), result);
        Assert.Equal(["fine"], harness.Log.Calls.Select(c => c.Subject));
        Assert.Equal(Encoding.UTF8.GetBytes(huge), File.ReadAllBytes(Path.Combine(harness.Root, ".Quarantine", "cur", Assert.Single(harness.Files(".Quarantine/cur")))));
        Assert.StartsWith(name, Assert.Single(harness.Files(".Quarantine/cur")), StringComparison.Ordinal);
        Assert.Equal([fine + ":2,S"], harness.Files("cur"));
        Assert.Equal("MailParseException", Assert.Single(quarantined.GetMeasurementSnapshot()).Tags["error.type"]);
    }

    [Fact]
    public async Task RunPassAsync_MaxParallelism_NeverMoreHandlersAtOnceAndTheLimitIsReached()
    {
        for (var i = 0; i < 10; i++)
            harness.Deliver(InboundHarness.Message(subject: "m" + i));
        await using var provider = harness.Build(
            p => p.Default().Handle<ConcurrencyHandler>(),
            o => o.MaxParallelism = 3,
            m => m.Services.AddSingleton(new ConcurrencyHandler.State(3)));
        var state = provider.GetRequiredService<ConcurrencyHandler.State>();

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync().WaitAsync(Guard);

        Assert.Equal(10, result.Handled);
        Assert.Equal(3, state.Max);
    }

    [Fact]
    public async Task RunPassAsync_AgainAfterAllHandled_ReceivesNothing()
    {
        harness.Deliver(InboundHarness.Message());
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>());
        var processor = provider.GetRequiredService<IInboundMailProcessor>();

        await processor.RunPassAsync();
        var second = await processor.RunPassAsync();

        Assert.Equal(new InboundPassResult(0, 0, 0, 0, 0), second);
        Assert.Single(harness.Log.Calls);
    }

    [Fact]
    public async Task StopAsync_MessageInFlight_FinishesItAndLeavesTheRestForARestartThatHandlesNothingTwice()
    {
        var first = harness.Deliver(InboundHarness.Message(subject: "in flight"));
        var second = harness.Deliver(InboundHarness.Message(subject: "waiting"));
        var gate = new BlockingHandler.Gate();
        await using (var provider = harness.Build(p => p.Default().Handle<BlockingHandler>(), o => o.MaxParallelism = 1, m => m.Services.AddSingleton(gate)))
        {
            var service = provider.GetServices<IHostedService>().Single(s => s is IInboundMailProcessor);
            await service.StartAsync(CancellationToken.None);
            await gate.Entered.Task.WaitAsync(Guard);

            var stopping = service.StopAsync(CancellationToken.None);
            Assert.False(stopping.IsCompleted);
            gate.Release.SetResult();
            await stopping.WaitAsync(Guard);
        }

        Assert.Equal([first + ":2,S"], harness.Files("cur"));
        Assert.Equal([second], harness.Files("new"));

        await using (var restarted = harness.Build(p => p.Default().Handle<RecordingHandler>()))
        {
            var result = await restarted.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
            Assert.Equal(new InboundPassResult(1, 1, 0, 0, 0), result);
        }

        Assert.Equal(["in flight", "waiting"], harness.Log.Calls.Select(c => c.Subject));
        Assert.Equal([first + ":2,S", second + ":2,S"], harness.Files("cur").Order());
    }

    [Fact]
    public async Task ExecuteAsync_PollInterval_NextPassAfterTheIntervalOnTheTimeProvider()
    {
        harness.Deliver(InboundHarness.Message(subject: "first"));
        var signal = new SignalHandler.Signal();
        await using var provider = harness.Build(p => p.Default().Handle<SignalHandler>(), o => o.PollInterval = TimeSpan.FromMinutes(1), m => m.Services.AddSingleton(signal));
        var service = provider.GetServices<IHostedService>().Single(s => s is IInboundMailProcessor);
        await service.StartAsync(CancellationToken.None);

        Assert.Equal("first", await signal.Subjects.Reader.ReadAsync().AsTask().WaitAsync(Guard));
        harness.Deliver(InboundHarness.Message(subject: "second"));
        // The loop is waiting on the fake clock: advance it until the next pass took the message.
        var next = signal.Subjects.Reader.ReadAsync().AsTask();
        while (!next.IsCompleted)
        {
            harness.Time.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(next, Task.Delay(20));
        }

        Assert.Equal("second", await next);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AutoRespond_SupportRoute_SendsTheReplyThroughTheSender()
    {
        harness.Deliver(InboundHarness.Message(to: "support@shop.example", subject: "Broken order", from: "Bob <bob@example.org>"));
        await using var provider = harness.Build(
            p => p.Route("support").ToRecipient("support@*").Handle<RecordingHandler>().AutoRespond(),
            mailing: m => m.AddInMemorySender().AddAutoResponder(o => o.Rules.Add(new AutoReplyRule
            {
                Name = "ack",
                Recipients = { "support@*" },
                Text = "We got your message: {Subject}",
            })));

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        var reply = Assert.Single(provider.GetRequiredService<InMemoryOutbox>().SentTo("bob@example.org"));
        Assert.Contains("We got your message: Broken order", reply.TextBody, StringComparison.Ordinal);
        Assert.Equal("support@shop.example", reply.Message.From.Mailboxes.Single().Address);
        Assert.Single(harness.Files("cur"));
    }

    [Fact]
    public void AutoRespond_WithoutAutoResponder_FailsAtStart()
    {
        // Without ValidateOnBuild (a production host), the pipeline itself names what is missing.
        using var provider = harness.Build(p => p.Default().AutoRespond(), mailing: m => m.AddInMemorySender(), validateOnBuild: false);

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IInboundMailProcessor>());

        Assert.Contains("AddAutoResponder()", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunPassAsync_Metrics_ReceivedHandledQuarantinedRetriesAndLag()
    {
        harness.Deliver(InboundHarness.Message(subject: "ok"));
        harness.Deliver(InboundHarness.Message(subject: "do fail"));
        harness.Deliver(InboundHarness.Message(to: "nobody@example.test", subject: "lost"));
        await using var provider = harness.Build(p => p.Route("work").WithSubject("ok|fail").Handle<FailingHandler>(), o => o.MaxAttempts = 2);
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var received = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.received");
        using var handled = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.handled");
        using var retries = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.retries");
        using var quarantined = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.inbound.quarantined");
        using var lag = new MetricCollector<double>(factory, "Mailing.Toolkit", "mailing.inbound.lag");

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(3, received.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.All(received.GetMeasurementSnapshot(), m => Assert.Equal("default", m.Tags["mailing.mailbox"]));
        Assert.Equal(["quarantined", "success", "unrouted"], handled.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!).Order());
        Assert.Equal("work", handled.GetMeasurementSnapshot().Single(m => (string?)m.Tags["outcome"] == "success").Tags["mailing.route"]);
        Assert.Equal("InvalidOperationException", Assert.Single(retries.GetMeasurementSnapshot()).Tags["error.type"]);
        Assert.Equal("InvalidOperationException", Assert.Single(quarantined.GetMeasurementSnapshot()).Tags["error.type"]);
        // The files arrived at 07:00:0x and the fake clock says 08:00.
        var measured = Assert.Single(lag.GetMeasurementSnapshot());
        Assert.InRange(measured.Value, 3590, 3600);
    }

    [Fact]
    public async Task ConnectionStateGauge_OneForAMailboxWhosePassSucceeded_ZeroForOneWhosePassFailed()
    {
        harness.Deliver(InboundHarness.Message(subject: "ok"));
        await using var provider = harness.Build(
            p => p.Mailbox("broken").Default().Handle<RecordingHandler>(),
            mailing: m => m.Services.AddKeyedSingleton<IMailReceiver>("broken", new UnreachableReceiver()));
        using var state = new MetricCollector<int>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Mailing.Toolkit", "mailing.inbound.connection.state");

        state.RecordObservableInstruments();
        var beforeAnyPass = state.GetMeasurementSnapshot();
        await Assert.ThrowsAsync<IOException>(() => provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync());
        state.RecordObservableInstruments();

        Assert.Empty(beforeAnyPass);
        var byMailbox = state.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["mailing.mailbox"]!, m => m.Value);
        Assert.Equal(new Dictionary<string, int> { ["default"] = 1, ["broken"] = 0 }, byMailbox);
    }

    [Fact]
    public async Task HealthCheck_ReportsLastSuccessfulPassAndGoesUnhealthyWhenStale()
    {
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>(), o => o.UnhealthyAfter = TimeSpan.FromMinutes(5));
        var health = provider.GetRequiredService<HealthCheckService>();

        await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
        var fresh = await health.CheckHealthAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        var stale = await health.CheckHealthAsync();

        var entry = fresh.Entries["mailing.inbound"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("2026-03-01T08:00:00.0000000+00:00", entry.Data["default"]);
        Assert.Equal(HealthStatus.Unhealthy, stale.Entries["mailing.inbound"].Status);
    }

    [Fact]
    public async Task Mailbox_KeyedReceiver_ProcessedBesidesTheDefaultWithItsName()
    {
        var second = Path.Combine(harness.Root, "second");
        harness.Deliver(InboundHarness.Message(subject: "in default"));
        var keyed = new Mailing.Toolkit.Receiving.Internal.MaildirMailReceiver(
            new MaildirReceiverOptions { Path = second },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Mailing.Toolkit.Receiving.Internal.MaildirMailReceiver>.Instance);
        File.WriteAllText(Path.Combine(second, "new", "1.M1P1.keyed"), InboundHarness.Message(subject: "in billing"));
        await using var provider = harness.Build(
            p => p.Mailbox("billing").Default().Handle<MailboxHandler>(),
            mailing: m => m.Services.AddKeyedSingleton<IMailReceiver>("billing", keyed).AddSingleton<MailboxHandler.Seen>());

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(2, result.Handled);
        Assert.Equal(["billing: in billing", "default: in default"], provider.GetRequiredService<MailboxHandler.Seen>().Order());
        Assert.Single(Directory.GetFiles(Path.Combine(second, "cur")));
    }

    [Fact]
    public void Mailbox_KeyNotRegistered_FailsAtStartNamingTheKey()
    {
        using var provider = harness.Build(p => p.Mailbox("nowhere").Default().Handle<RecordingHandler>());

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IInboundMailProcessor>());

        Assert.Contains("'nowhere'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateOnStart_BadOptions_NameTheKey()
    {
        await using var provider = harness.Build(p => p.Default().Handle<RecordingHandler>(), o => o.MaxParallelism = 0);

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<InboundProcessingOptions>>().Value);

        Assert.Contains("Mailing:Inbound:MaxParallelism must be 1-256", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>A receiver whose server cannot be reached: every pass fails.</summary>
internal sealed class UnreachableReceiver : IMailReceiver
{
    public async IAsyncEnumerable<ReceivedMail> ReceiveAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        throw new IOException("imap.example.test: connection refused");
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }

    public Task AcknowledgeAsync(ReceivedMail mail, MailDisposition disposition, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("Nothing was received to acknowledge.");
}

internal sealed class MailboxHandler(MailboxHandler.Seen seen) : IInboundMailHandler
{
    public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        seen.Enqueue($"{mail.Mailbox}: {mail.Mail.Subject}");
        return Task.CompletedTask;
    }

    internal sealed class Seen : System.Collections.Concurrent.ConcurrentQueue<string>;
}

internal sealed class FlakyHandler(FlakyHandler.State state) : IInboundMailHandler
{
    public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken) =>
        Interlocked.Increment(ref state.Calls) == 1 ? throw new TimeoutException("first attempt times out") : Task.CompletedTask;

    internal sealed class State
    {
        public int Calls;
    }
}

internal sealed class ConcurrencyHandler(ConcurrencyHandler.State state) : IInboundMailHandler
{
    public async Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref state.Current);
        lock (state)
            state.Max = Math.Max(state.Max, now);
        // The first handlers wait until the limit is reached, so a pipeline that ran more at once would show it.
        if (now >= state.Limit)
            state.Full.TrySetResult();
        await state.Full.Task.ConfigureAwait(false);
        Interlocked.Decrement(ref state.Current);
    }

    internal sealed class State(int limit)
    {
        public int Current;

        public int Limit { get; } = limit;

        public int Max { get; set; }

        public TaskCompletionSource Full { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

internal sealed class BlockingHandler(BlockingHandler.Gate gate, HandlerLog log) : IInboundMailHandler
{
    public async Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        log.Calls.Enqueue((mail.Route.Name, mail.Mail.Subject, mail.Recipient, mail.Attempt, Guid.Empty));
        gate.Entered.TrySetResult();
        await gate.Release.Task.ConfigureAwait(false);
    }

    internal sealed class Gate
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

internal sealed class SignalHandler(SignalHandler.Signal signal) : IInboundMailHandler
{
    public async Task HandleAsync(InboundMail mail, CancellationToken cancellationToken) =>
        await signal.Subjects.Writer.WriteAsync(mail.Mail.Subject ?? string.Empty, cancellationToken).ConfigureAwait(false);

    internal sealed class Signal
    {
        public System.Threading.Channels.Channel<string> Subjects { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();
    }
}
