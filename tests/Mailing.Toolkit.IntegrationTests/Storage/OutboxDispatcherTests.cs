using System.Collections.Concurrent;
using System.Diagnostics;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Outbox;
using MailKit.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>
/// The outbox dispatcher on SQLite: sending through a real SMTP sender, and the outcome of each kind of failure,
/// with a scripted sender standing in for the server where the failure is the point.
/// </summary>
public sealed class OutboxDispatcherTests : IDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);
    private readonly string folder = Directory.CreateTempSubdirectory("mailing-outbox-").FullName;

    private string Database => Path.Combine(folder, "mail.db");

    [Fact]
    public async Task Dispatcher_QueuedMessages_AreSentOverSmtpAndRecordedWithTheServersReply()
    {
        await using var sink = new SmtpSink();
        await using var provider = Build(builder => builder.AddSmtpSender(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = sink.Port;
            o.Security = SecureSocketOptions.None;
        }));
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = new List<OutboxEnqueueResult>();
        for (var i = 0; i < 20; i++)
            queued.Add(await outbox.EnqueueAsync(OutboxMessages.Create($"Order {i}")));

        await RunDispatcherAsync(provider, async () => (await outbox.GetStatisticsAsync()).Pending == 0);

        Assert.Equal(queued.Select(q => q.MessageId).Order(), sink.Messages.Select(m => m.Parse().MessageId).Order());
        foreach (var result in queued)
        {
            var row = await outbox.GetAsync(result.Id);
            Assert.Equal(OutboxState.Sent, row!.State);
            Assert.Equal(1, row.Attempts);
            Assert.False(string.IsNullOrEmpty(row.Response));
        }
    }

    [Fact]
    public async Task Dispatcher_TransientFailure_IsRetriedWithBackoffThenSent()
    {
        var sender = new ScriptedSender(Transient(), Transient());
        await using var provider = Build(sender);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = await outbox.EnqueueAsync(OutboxMessages.Create());

        await RunDispatcherAsync(provider, async () => (await outbox.GetAsync(queued.Id))!.State == OutboxState.Sent);

        var row = await outbox.GetAsync(queued.Id);
        Assert.Equal(3, row!.Attempts);
        Assert.Contains("451", row.LastError, StringComparison.Ordinal);
        Assert.Equal(3, sender.Calls);
    }

    [Fact]
    public async Task Dispatcher_TransientFailuresPastMaxAttempts_GoToTheDeadLetterState()
    {
        var sender = new ScriptedSender(Transient(), Transient(), Transient(), Transient());
        await using var provider = Build(sender, o => o.MaxAttempts = 3);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = await outbox.EnqueueAsync(OutboxMessages.Create());

        await RunDispatcherAsync(provider, async () => (await outbox.GetAsync(queued.Id))!.State == OutboxState.Failed);

        var row = await outbox.GetAsync(queued.Id);
        Assert.Equal(3, row!.Attempts);
        Assert.StartsWith("Gave up after 3 attempts", row.LastError, StringComparison.Ordinal);
        Assert.Equal(3, sender.Calls);
    }

    [Fact]
    public async Task Dispatcher_PermanentFailure_IsDeadLetteredAtOnceWithTheServersReply()
    {
        var sender = new ScriptedSender(new MailDeliveryException("550 5.1.1 <nobody@example.test>: user unknown", "recipients_rejected", 550, "5.1.1", false, false, null, "127.0.0.1:25", 1));
        await using var provider = Build(sender);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = await outbox.EnqueueAsync(OutboxMessages.Create());

        await RunDispatcherAsync(provider, async () => (await outbox.GetAsync(queued.Id))!.State == OutboxState.Failed);

        var row = await outbox.GetAsync(queued.Id);
        Assert.Equal(1, row!.Attempts);
        Assert.Equal("recipients_rejected 550 5.1.1: 550 5.1.1 <nobody@example.test>: user unknown", row.LastError);
        Assert.Equal(1, (await outbox.GetStatisticsAsync()).Failed);
    }

    [Fact]
    public async Task Dispatcher_MaybeDelivered_IsKeptApartAndNeverSentAgain_UntilRequeued()
    {
        var sender = new ScriptedSender(new MailDeliveryException("The connection dropped after the end of the data", "timeout", 0, null, true, true, null, "127.0.0.1:25", 1));
        await using var provider = Build(sender);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = await outbox.EnqueueAsync(OutboxMessages.Create());

        await RunDispatcherAsync(provider, async () => (await outbox.GetAsync(queued.Id))!.State == OutboxState.MaybeDelivered, linger: TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, sender.Calls);

        Assert.True(await outbox.RequeueAsync(queued.Id));
        await RunDispatcherAsync(provider, async () => (await outbox.GetAsync(queued.Id))!.State == OutboxState.Sent);
        Assert.Equal(2, sender.Calls);
    }

    [Fact]
    public async Task Dispatcher_UnreadableRow_IsDeadLetteredWithTheReason_AndTheOthersGoOn()
    {
        var sender = new ScriptedSender();
        await using var provider = Build(sender);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var broken = await outbox.EnqueueAsync(OutboxMessages.Create("broken"));
        var fine = await outbox.EnqueueAsync(OutboxMessages.Create("fine"));
        await using (var connection = new SqliteConnection($"Data Source={Database}"))
        {
            await connection.OpenAsync();
            await using var corrupt = connection.CreateCommand();
            corrupt.CommandText = "UPDATE mailing_outbox SET envelope = 'not an envelope' WHERE id = $id";
            corrupt.Parameters.AddWithValue("$id", broken.Id);
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }

        await RunDispatcherAsync(provider, async () => (await outbox.GetStatisticsAsync()).Pending == 0);

        var dead = await outbox.GetAsync(broken.Id);
        Assert.Equal(OutboxState.Failed, dead!.State);
        Assert.StartsWith("The stored message cannot be read", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(OutboxState.Sent, (await outbox.GetAsync(fine.Id))!.State);
        Assert.Equal(["fine"], sender.Subjects);
    }

    [Fact]
    public async Task Dispatcher_KeyedSender_IsUsed_AndAMissingKeyDeadLettersTheRowWithTheKey()
    {
        var marketing = new ScriptedSender();
        await using var provider = Build(new ScriptedSender(), configureServices: s => s.AddKeyedSingleton<IMailSender>("marketing", marketing));
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var keyed = await outbox.EnqueueAsync(OutboxMessages.Create("news"), new OutboxEnqueueOptions { SenderKey = "marketing" });
        var unknown = await outbox.EnqueueAsync(OutboxMessages.Create("lost"), new OutboxEnqueueOptions { SenderKey = "billing" });

        await RunDispatcherAsync(provider, async () => (await outbox.GetStatisticsAsync()).Pending == 0);

        Assert.Equal(["news"], marketing.Subjects);
        Assert.Equal(OutboxState.Sent, (await outbox.GetAsync(keyed.Id))!.State);
        var row = await outbox.GetAsync(unknown.Id);
        Assert.Equal(OutboxState.Failed, row!.State);
        Assert.Contains("'billing'", row.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatcher_SenderThatCannotBeBuilt_IsRetriedThenDeadLetteredWithTheReason()
    {
        await using var provider = Build(
            builder => builder.Services.AddSingleton<IMailSender>(_ => throw new InvalidOperationException("Mailing:Smtp:Host is missing")),
            o => o.MaxAttempts = 2);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = await outbox.EnqueueAsync(OutboxMessages.Create());

        await RunDispatcherAsync(provider, async () => (await outbox.GetAsync(queued.Id))!.State == OutboxState.Failed);

        var row = await outbox.GetAsync(queued.Id);
        Assert.Equal(2, row!.Attempts);
        Assert.Equal("Gave up after 2 attempts; the last failed with InvalidOperationException: Mailing:Smtp:Host is missing", row.LastError);
    }

    [Fact]
    public async Task Dispatcher_RowThatWaitedInTheQueuePastHalfItsLease_IsReleasedUnsentThenSentOnce()
    {
        var sender = new ScriptedSender { Delay = TimeSpan.FromMilliseconds(700) };
        await using var provider = Build(sender, o => { o.Workers = 1; o.LeaseDuration = TimeSpan.FromSeconds(1); });
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var queued = new List<OutboxEnqueueResult>();
        for (var i = 0; i < 3; i++)
            queued.Add(await outbox.EnqueueAsync(OutboxMessages.Create($"slow {i}")));

        await RunDispatcherAsync(provider, async () => (await outbox.GetStatisticsAsync()).Pending == 0);

        Assert.Equal(["slow 0", "slow 1", "slow 2"], sender.Subjects.Order());
        var rows = await Task.WhenAll(queued.Select(q => outbox.GetAsync(q.Id)));
        Assert.All(rows, r => Assert.Equal(OutboxState.Sent, r!.State));
        Assert.Contains(rows, r => r!.Attempts > 1 && r.LastError!.StartsWith("Released unsent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispatcher_ExplicitEnvelope_IsSentAsStored()
    {
        var sender = new ScriptedSender();
        await using var provider = Build(sender);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var envelope = new MailEnvelope(null, [EmailAddress.Parse("carol@example.test")]);
        await outbox.EnqueueAsync(OutboxMessages.Create(), new OutboxEnqueueOptions { Envelope = envelope });

        await RunDispatcherAsync(provider, async () => (await outbox.GetStatisticsAsync()).Pending == 0);

        var sent = Assert.Single(sender.Envelopes);
        Assert.Null(sent!.Sender);
        Assert.Equal("carol@example.test", Assert.Single(sent.Recipients).Address);
    }

    [Fact]
    public async Task HealthCheck_DegradesWhenTheOldestDueMessageWaitsTooLong()
    {
        await using var provider = Build(new ScriptedSender(), o => o.DegradedAfter = TimeSpan.FromMilliseconds(200));
        var health = provider.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["mailing.outbox"].Status);

        await provider.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create());
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        var entry = (await health.CheckHealthAsync()).Entries["mailing.outbox"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal(1L, entry.Data["due"]);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    private static MailDeliveryException Transient() =>
        new("451 4.7.1 Try again later", "rate_limited", 451, "4.7.1", true, false, null, "127.0.0.1:25", 3);


    private ServiceProvider Build(ScriptedSender sender, Action<OutboxOptions>? configure = null, Action<IServiceCollection>? configureServices = null) =>
        Build(builder =>
        {
            builder.Services.AddSingleton<IMailSender>(sender);
            configureServices?.Invoke(builder.Services);
        }, configure);

    private ServiceProvider Build(Action<IMailingBuilder> addSender, Action<OutboxOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddMailing().AddOutbox(o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(50);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
            configure?.Invoke(o);
        }).UseSqlite(Database);
        addSender(builder);
        return services.BuildServiceProvider();
    }

    /// <summary>Starts the hosted services, waits for <paramref name="done"/>, lets them run <paramref name="linger"/> more, and stops them.</summary>
    private static async Task RunDispatcherAsync(IServiceProvider provider, Func<Task<bool>> done, TimeSpan linger = default)
    {
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        try
        {
            var clock = Stopwatch.StartNew();
            while (!await done())
            {
                Assert.True(clock.Elapsed < WaitLimit, "The dispatcher did not reach the expected state within 30 s.");
                await Task.Delay(20);
            }

            await Task.Delay(linger);
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>An <see cref="IMailSender"/> that fails with the given exceptions in turn, then succeeds.</summary>
    private sealed class ScriptedSender(params Exception[] failures) : IMailSender
    {
        private readonly ConcurrentQueue<Exception> failures = new(failures);
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public ConcurrentQueue<string> SubjectQueue { get; } = new();

        public IReadOnlyList<string> Subjects => [.. SubjectQueue];

        public ConcurrentQueue<MailEnvelope?> EnvelopeQueue { get; } = new();

        public IReadOnlyList<MailEnvelope?> Envelopes => [.. EnvelopeQueue];

        public Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken = default) =>
            SendAsync(message.ToMimeMessage(), null, cancellationToken);

        public TimeSpan Delay { get; init; }

        public async Task<SendResult> SendAsync(MimeMessage message, MailEnvelope? envelope = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref calls);
            if (Delay > TimeSpan.Zero)
                await Task.Delay(Delay, cancellationToken);
            if (failures.TryDequeue(out var failure))
                throw failure;
            SubjectQueue.Enqueue(message.Subject ?? string.Empty);
            EnvelopeQueue.Enqueue(envelope);
            return new SendResult(message.MessageId ?? string.Empty, [new RecipientResult("bob@example.test", true, 250, "2.0.0", "Ok")], "scripted", 1, "2.0.0 Ok: queued");
        }
    }
}
