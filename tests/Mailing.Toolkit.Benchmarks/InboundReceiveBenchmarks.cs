using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Issue 11's receiving speed, steady state: what a long-running worker does once it is up. One Dovecot (the
/// integration tests' <see cref="DovecotFixture"/>, STARTTLS + LOGIN) per benchmark process, one user per variant, the
/// client or service provider built and connected once in the global setup; before every iteration the variant's
/// INBOX gets <see cref="Messages"/> new small messages (not measured), and the iteration takes them all: find the
/// unseen ones, fetch, parse, handle (no-op), mark seen. The baseline is raw MailKit doing the least possible work;
/// the pipeline rows are <c>AddImapReceiver</c> + <c>AddInboundProcessing</c> with their defaults. Needs root (the
/// fixture runs Dovecot as nobody).
/// <c>dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*InboundReceiveBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, RuntimeMoniker.Net10_0, launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: 1)]
public class InboundReceiveBenchmarks
{
    private const int Messages = 2000;

    private DovecotFixture dovecot = null!;
    private string naiveUser = null!, rawUser = null!, memoryUser = null!, fileUser = null!;
    private ImapClient naive = null!, raw = null!;
    private ServiceProvider memoryPipeline = null!, filePipeline = null!;
    private string stateFolder = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        dovecot = new DovecotFixture();
        await dovecot.InitializeAsync();
        dovecot.EnsureAvailable();
        (naiveUser, rawUser, memoryUser, fileUser) = (CreateUser("naive"), CreateUser("raw"), CreateUser("memory"), CreateUser("file"));
        naive = await OpenInboxAsync(naiveUser);
        raw = await OpenInboxAsync(rawUser);
        stateFolder = Directory.CreateTempSubdirectory("mailing-inbound-bench-").FullName;
        memoryPipeline = InboundReceiveBenchmark.BuildPipeline(dovecot, memoryUser, stateFolder: null, batchSize: 500, new InboundReceiveBenchmark.NoOpHandler(), o => o.Background = false);
        filePipeline = InboundReceiveBenchmark.BuildPipeline(dovecot, fileUser, stateFolder, batchSize: 500, new InboundReceiveBenchmark.NoOpHandler(), o => o.Background = false);
        // The first pass connects and sets the position (an empty INBOX); from then on every pass is a steady-state one.
        await Processor(memoryPipeline).RunPassAsync();
        await Processor(filePipeline).RunPassAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var client in new[] { naive, raw }.Where(c => c is not null))
        {
            await client.DisconnectAsync(quit: true);
            client.Dispose();
        }
        if (memoryPipeline is not null)
            await memoryPipeline.DisposeAsync();
        if (filePipeline is not null)
            await filePipeline.DisposeAsync();
        if (stateFolder is not null)
            Directory.Delete(stateFolder, recursive: true);
        await dovecot.DisposeAsync();
    }

    [IterationSetup(Target = nameof(Naive))]
    public void FillNaive() => Fill(naiveUser);

    [IterationSetup(Target = nameof(RawMailKit))]
    public void FillRaw() => Fill(rawUser);

    [IterationSetup(Target = nameof(Pipeline))]
    public void FillMemory() => Fill(memoryUser);

    [IterationSetup(Target = nameof(PipelineWithStateFile))]
    public void FillFile() => Fill(fileUser);

    /// <summary>What a user writes by hand: per message one FETCH and one STORE round trip.</summary>
    [Benchmark(OperationsPerInvoke = Messages, Description = "(a) naive: NOOP, SEARCH UNSEEN, per message GetMessage + AddFlags Seen")]
    public async Task Naive()
    {
        var handled = 0;
        await naive.NoOpAsync(); // the session learns of the new messages (a worker would from IDLE)
        foreach (var uid in await naive.Inbox.SearchAsync(SearchQuery.NotSeen))
        {
            handled += Touch(await naive.Inbox.GetMessageAsync(uid));
            await naive.Inbox.AddFlagsAsync(uid, MessageFlags.Seen, silent: true);
        }
        Check(handled);
    }

    /// <summary>The least a program can do: one pipelined fetch of every body, MimeKit's parse, one STORE for all.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "(c) raw MailKit: NOOP, SEARCH UNSEEN, one FETCH BODY.PEEK[] + MimeMessage.Load, one STORE")]
    public async Task RawMailKit()
    {
        var handled = 0;
        await raw.NoOpAsync(); // the session learns of the new messages (a worker would from IDLE)
        var uids = await raw.Inbox.SearchAsync(SearchQuery.NotSeen);
        await ((ImapFolder)raw.Inbox).GetStreamsAsync(uids, (_, _, _, stream, token) =>
        {
            handled += Touch(MimeMessage.Load(stream, token));
            return Task.CompletedTask;
        });
        await raw.Inbox.AddFlagsAsync(uids, MessageFlags.Seen, silent: true);
        Check(handled);
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "(b) pipeline, defaults, in-memory position")]
    public Task Pipeline() => PassAsync(memoryPipeline);

    [Benchmark(OperationsPerInvoke = Messages, Description = "(b) pipeline, defaults, StateFilePath")]
    public Task PipelineWithStateFile() => PassAsync(filePipeline);

    private static async Task PassAsync(ServiceProvider pipeline)
    {
        var result = await Processor(pipeline).RunPassAsync();
        if (result != new InboundPassResult(Messages, Messages, 0, 0, 0))
            throw new InvalidOperationException($"One pass over {Messages} messages returned {result}.");
    }

    private static IInboundMailProcessor Processor(ServiceProvider pipeline) => pipeline.GetRequiredService<IInboundMailProcessor>();

    /// <summary>A user whose quota holds every iteration's messages (they are kept: expunging them would make the next iteration parse 2,000 EXPUNGE responses).</summary>
    private string CreateUser(string prefix) => dovecot.CreateUser(prefix, storageQuota: "1G");

    private void Fill(string user) => InboundReceiveBenchmark.AppendAsync(dovecot, user, Messages).GetAwaiter().GetResult();

    private async Task<ImapClient> OpenInboxAsync(string user)
    {
        var client = await dovecot.ConnectImapAsync(user);
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        return client;
    }

    /// <summary>Touches the parsed message so the parse is not dead code.</summary>
    private static int Touch(MimeMessage message) => message.Subject is null ? 0 : 1;

    private static void Check(int handled)
    {
        if (handled != Messages)
            throw new InvalidOperationException($"Handled {handled} of {Messages} messages.");
    }
}
