using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Issue 4's benchmark: receive, parse and handle (no-op handler, mark seen) small messages from a real Dovecot on
/// loopback (the integration tests' <see cref="DovecotFixture"/>, STARTTLS + LOGIN). Every variant of every round gets
/// a fresh user whose INBOX holds the same number of freshly appended messages; the variants run in a shuffled order
/// per round and the wall-clock time includes connecting and authenticating. Then the IDLE latency of the hosted
/// pipeline: append on another connection to handler start. Needs root (the fixture runs Dovecot as nobody).
/// </summary>
internal static class InboundReceiveBenchmark
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private sealed record Variant(string Name, Func<DovecotFixture, string, int, Task> RunAsync);

    public static async Task<int> RunAsync(int rounds, int messages)
    {
        var dovecot = new DovecotFixture();
        await dovecot.InitializeAsync();
        try
        {
            dovecot.EnsureAvailable();
            Variant[] variants =
            [
                new("(a) naive: SEARCH ALL, then per message GetMessage (FETCH) + AddFlags Seen (STORE)", NaiveAsync),
                new("(b) pipeline, MaxParallelism 4, in-memory state", (d, u, n) => PipelineAsync(d, u, n, parallelism: 4, stateFile: false)),
                new("(b) pipeline, MaxParallelism 8, in-memory state", (d, u, n) => PipelineAsync(d, u, n, parallelism: 8, stateFile: false)),
                new("(b) pipeline, MaxParallelism 4, StateFilePath", (d, u, n) => PipelineAsync(d, u, n, parallelism: 4, stateFile: true)),
                new("(b) pipeline, MaxParallelism 4, in-memory state, BatchSize 100", (d, u, n) => PipelineAsync(d, u, n, parallelism: 4, stateFile: false, batchSize: 100)),
                new("(c) raw MailKit: one batched BODY.PEEK[] fetch + parse, one STORE of all (no handler)", (d, u, n) => BatchedAsync(d, u, n, storeEach: false)),
                new("(d) raw MailKit: one batched BODY.PEEK[] fetch + parse, then one STORE per message", (d, u, n) => BatchedAsync(d, u, n, storeEach: true)),
            ];

            Console.WriteLine($"Dovecot on {dovecot.Host}:{dovecot.ImapPort} (STARTTLS). {rounds} rounds of {messages} messages per variant, after one warm-up round of 200.");
            foreach (var variant in variants)
                await MeasureAsync(dovecot, variant, 200);

            var rates = variants.ToDictionary(v => v, _ => new List<double>());
            for (var round = 0; round < rounds; round++)
            {
                foreach (var variant in variants.OrderBy(_ => Random.Shared.Next()))
                {
                    var elapsed = await MeasureAsync(dovecot, variant, messages);
                    rates[variant].Add(messages / elapsed.TotalSeconds);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: {variant.Name}: {messages / elapsed.TotalSeconds:F0}/s"));
                }
            }

            var naive = rates[variants[0]];
            Console.WriteLine();
            Console.WriteLine($"| Variant | Messages/s per round | Median | vs (a), median of per-round ratios |");
            Console.WriteLine("|---|---|---:|---:|");
            foreach (var variant in variants)
            {
                var perRound = rates[variant];
                var ratios = perRound.Select((rate, i) => rate / naive[i]).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {variant.Name} | {string.Join(", ", perRound.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} | {Median(perRound):F0} | {Median(ratios):F2}x |"));
            }

            // A steady stream, then isolated arrivals (each one alone in Dovecot's change-notification window).
            await IdleLatencyAsync(dovecot, count: 200, pause: TimeSpan.FromMilliseconds(50));
            await IdleLatencyAsync(dovecot, count: 20, pause: TimeSpan.FromSeconds(1));
            return 0;
        }
        finally
        {
            await dovecot.DisposeAsync();
        }
    }

    private static async Task<TimeSpan> MeasureAsync(DovecotFixture dovecot, Variant variant, int messages)
    {
        var user = dovecot.CreateUser("bench");
        await AppendAsync(dovecot, user, messages);
        // Where this process's time goes (Dovecot's is not counted): CPU, GC pauses and allocation per message.
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var paused = GC.GetTotalPauseDuration();
        var clock = Stopwatch.StartNew();
        await variant.RunAsync(dovecot, user, messages);
        var elapsed = clock.Elapsed;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  wall {elapsed.TotalMilliseconds:F0} ms, this process's CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms, GC pauses {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / messages} B allocated per message"));
        var unseen = await CountUnseenAsync(dovecot, user);
        if (unseen != 0)
            throw new InvalidOperationException($"{variant.Name}: {unseen} of {messages} messages were not marked seen.");
        return elapsed;
    }

    /// <summary>What a user writes by hand: one FETCH and one STORE round trip per message.</summary>
    private static async Task NaiveAsync(DovecotFixture dovecot, string user, int messages)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await imap.Inbox.SearchAsync(SearchQuery.All);
        var handled = 0;
        foreach (var uid in uids)
        {
            var message = await imap.Inbox.GetMessageAsync(uid);
            handled += NoOp(message.Subject);
            await imap.Inbox.AddFlagsAsync(uid, MessageFlags.Seen, silent: true);
        }
        await imap.DisconnectAsync(quit: true);
        Check(handled, messages);
    }

    /// <summary>
    /// For scale: every body in one pipelined FETCH, parsed with MimeKit, then one STORE for all (or, to isolate the
    /// cost of per-message acknowledgement, one STORE round trip per message).
    /// </summary>
    private static async Task BatchedAsync(DovecotFixture dovecot, string user, int messages, bool storeEach)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await imap.Inbox.SearchAsync(SearchQuery.All);
        var handled = 0;
        await ((ImapFolder)imap.Inbox).GetStreamsAsync(uids, (_, _, _, stream, token) =>
        {
            handled += NoOp(MimeMessage.Load(stream, token).Subject);
            return Task.CompletedTask;
        });
        if (storeEach)
        {
            foreach (var uid in uids)
                await imap.Inbox.AddFlagsAsync(uid, MessageFlags.Seen, silent: true);
        }
        else
        {
            await imap.Inbox.AddFlagsAsync(uids, MessageFlags.Seen, silent: true);
        }
        await imap.DisconnectAsync(quit: true);
        Check(handled, messages);
    }

    private static async Task PipelineAsync(DovecotFixture dovecot, string user, int messages, int parallelism, bool stateFile, int batchSize = 500)
    {
        var stateFolder = stateFile ? Directory.CreateTempSubdirectory("mailing-inbound-bench-").FullName : null;
        try
        {
            await using var provider = BuildPipeline(dovecot, user, stateFolder, batchSize, new NoOpHandler(), o =>
            {
                o.Background = false;
                o.MaxParallelism = parallelism;
            });
            var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
            if (result != new InboundPassResult(messages, messages, 0, 0, 0))
                throw new InvalidOperationException($"One pass over {messages} messages returned {result}.");
        }
        finally
        {
            if (stateFolder is not null)
                Directory.Delete(stateFolder, recursive: true);
        }
    }

    /// <summary>
    /// The hosted pipeline waiting in IDLE (poll interval one hour, so only IDLE starts a pass); another connection
    /// appends one message every <paramref name="pause"/>; latency is from just before each APPEND to its handler start.
    /// </summary>
    private static async Task IdleLatencyAsync(DovecotFixture dovecot, int count, TimeSpan pause)
    {
        var user = dovecot.CreateUser("idle");
        var handler = new LatencyHandler();
        await using var provider = BuildPipeline(dovecot, user, stateFolder: null, batchSize: 500, handler, o => o.PollInterval = TimeSpan.FromHours(1));
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        var appended = new long[count];
        try
        {
            await HostedPipeline.WaitForFirstPassAsync(provider, Timeout);
            using var imap = await dovecot.ConnectImapAsync(user);
            for (var i = 0; i < count; i++)
            {
                var message = Message(user, $"idle {i}");
                appended[i] = Stopwatch.GetTimestamp();
                await imap.Inbox.AppendAsync(message);
                await Task.Delay(pause);
            }
            await imap.DisconnectAsync(quit: true);
            await handler.WaitForAsync(count, Timeout);
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }

        var latencies = Enumerable.Range(0, count)
            .Select(i => Stopwatch.GetElapsedTime(appended[i], handler.Started[$"idle {i}"]).TotalMilliseconds)
            .Order()
            .ToList();
        Console.WriteLine();
        Console.WriteLine($"IDLE latency, APPEND on another connection to handler start, {count} messages {pause.TotalMilliseconds} ms apart:");
        Console.WriteLine();
        Console.WriteLine("| Median | p90 | p99 | Max |");
        Console.WriteLine("|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {Percentile(latencies, 0.50):F1} ms | {Percentile(latencies, 0.90):F1} ms | {Percentile(latencies, 0.99):F1} ms | {latencies[^1]:F1} ms |"));
    }

    internal static ServiceProvider BuildPipeline(DovecotFixture dovecot, string user, string? stateFolder, int batchSize, IInboundMailHandler handler, Action<InboundProcessingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(handler.GetType(), handler);
        services.AddMailing()
            .AddImapReceiver(
                imap =>
                {
                    imap.Host = dovecot.Host;
                    imap.Port = dovecot.ImapPort;
                    imap.UserName = user;
                    imap.Password = DovecotFixture.Password;
                    imap.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
                },
                receiver =>
                {
                    receiver.UseIdle = true;
                    receiver.BatchSize = batchSize;
                    if (stateFolder is not null)
                        receiver.StateFilePath = Path.Combine(stateFolder, "state.json");
                })
            .AddInboundProcessing(
                p =>
                {
                    if (handler is LatencyHandler)
                        p.Default().Handle<LatencyHandler>().MarkSeen();
                    else
                        p.Default().Handle<NoOpHandler>().MarkSeen();
                },
                configure);
        return services.BuildServiceProvider();
    }

    /// <summary>Fills INBOX with <paramref name="count"/> small messages (MULTIAPPEND where the server has it).</summary>
    internal static async Task AppendAsync(DovecotFixture dovecot, string user, int count)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        var requests = Enumerable.Range(0, count)
            .Select(i => (IAppendRequest)new AppendRequest(Message(user, $"message {i}")))
            .ToList();
        for (var start = 0; start < count; start += 500)
            await imap.Inbox.AppendAsync(requests.GetRange(start, Math.Min(500, count - start)));
        await imap.DisconnectAsync(quit: true);
    }

    private static async Task<int> CountUnseenAsync(DovecotFixture dovecot, string user)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        await imap.Inbox.StatusAsync(StatusItems.Unread);
        var unseen = imap.Inbox.Unread;
        await imap.DisconnectAsync(quit: true);
        return unseen;
    }

    private static MimeMessage Message(string user, string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.test") };
        message.From.Add(MailboxAddress.Parse("sender@example.test"));
        message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
        message.Body = new TextPart("plain") { Text = $"Hello,\n\nthis is the body of {subject}, a small plain-text message.\n\nRegards\n" };
        return message;
    }

    /// <summary>The naive variants' handler: touches the parsed message so the parse is not dead code.</summary>
    private static int NoOp(string? subject) => subject is null ? 0 : 1;

    private static void Check(int handled, int messages)
    {
        if (handled != messages)
            throw new InvalidOperationException($"Handled {handled} of {messages} messages.");
    }

    private static double Median(List<double> values) => Percentile(values.Order().ToList(), 0.5);

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    internal sealed class NoOpHandler : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Records when the handler started for each subject.</summary>
    private sealed class LatencyHandler : IInboundMailHandler
    {
        private readonly SemaphoreSlim handled = new(0);

        public ConcurrentDictionary<string, long> Started { get; } = new();

        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            if (Started.TryAdd(mail.Mail.Subject ?? "", now))
                handled.Release();
            return Task.CompletedTask;
        }

        public async Task WaitForAsync(int count, TimeSpan timeout)
        {
            using var limit = new CancellationTokenSource(timeout);
            for (var i = 0; i < count; i++)
                await handled.WaitAsync(limit.Token);
        }
    }
}
