using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using MailKit.Security;
using Mailing.Toolkit.Benchmarks.Infrastructure;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using Npgsql;

namespace Mailing.Toolkit.Benchmarks;

// Issue 14's measurements of the durable outbox; see docs/benchmarks.md, "Outbox (issue 14)". Needs root (the
// PostgreSQL fixture runs postgres as the postgres user, smtp-sink drops to nobody).
//   dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*Outbox*'

/// <summary>
/// Enqueue cost: <see cref="IMailOutbox.EnqueueAsync(MimeMessage, OutboxEnqueueOptions?, CancellationToken)"/> on
/// PostgreSQL (the integration tests' <see cref="PostgresFixture"/>, fsync off) and SQLite (a WAL file in /tmp), one
/// row in its own transaction and 100 rows in the caller's transaction, against a hand-written ADO.NET INSERT of the
/// same row into the same table. The outbox serializes the <see cref="MimeMessage"/> on every call; the raw baseline
/// gets the bytes serialized once in the setup. Both use the same pooled connections (the outbox is given the
/// benchmark's <see cref="NpgsqlDataSource"/>; SQLite pools by connection string).
/// </summary>
[Config(typeof(OutboxEnqueueConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OutboxEnqueueBenchmarks
{
    private const int Batch = 100;
    private static readonly OutboxEnqueueOptions EnqueueOptions = new();
    private const string PostgreSqlOne = "PostgreSQL, 1 row";
    private const string PostgreSqlBatch = "PostgreSQL, 100 rows in 1 transaction";
    private const string SqliteOne = "SQLite, 1 row";
    private const string SqliteBatch = "SQLite, 100 rows in 1 transaction";

    private PostgresFixture? postgres;
    private NpgsqlDataSource dataSource = null!;
    private ServiceProvider? postgresProvider, sqliteProvider;
    private IMailOutbox postgresOutbox = null!, sqliteOutbox = null!;
    private IMailOutboxStore postgresStore = null!, sqliteStore = null!;
    private string sqliteFolder = null!, sqliteConnectionString = null!;
    private MimeMessage message = null!;
    private OutboxRow row = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        try
        {
            message = BenchMessages.Create(0);
            row = new OutboxRow(message);
            Console.WriteLine($"// Message of {row.Content.Length} bytes serialized");

            postgres = new PostgresFixture();
            await postgres.InitializeAsync();
            postgres.EnsureAvailable();
            dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
            postgresProvider = OutboxProviders.Enqueuing(b => b.UsePostgreSql(o => o.DataSource = dataSource));
            postgresOutbox = postgresProvider.GetRequiredService<IMailOutbox>();
            postgresStore = postgresProvider.GetRequiredService<IMailOutboxStore>();
            await postgresOutbox.EnqueueAsync(message); // applies the migrations

            sqliteFolder = Directory.CreateTempSubdirectory("mailing-outbox-bench-").FullName;
            var file = Path.Combine(sqliteFolder, "outbox.db");
            sqliteConnectionString = new SqliteConnectionStringBuilder { DataSource = file }.ConnectionString;
            sqliteProvider = OutboxProviders.Enqueuing(b => b.UseSqlite(file));
            sqliteOutbox = sqliteProvider.GetRequiredService<IMailOutbox>();
            sqliteStore = sqliteProvider.GetRequiredService<IMailOutboxStore>();
            await sqliteOutbox.EnqueueAsync(message); // applies the migrations and WAL mode
            // The outbox runs every connection with synchronous = NORMAL (no fsync per commit in WAL mode); so does the baseline.
            OutboxRow.CheckSqliteSynchronousNormal(sqliteConnectionString);
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (postgresProvider is not null)
            await postgresProvider.DisposeAsync();
        if (sqliteProvider is not null)
            await sqliteProvider.DisposeAsync();
        if (dataSource is not null)
            await dataSource.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (sqliteFolder is not null && Directory.Exists(sqliteFolder))
            Directory.Delete(sqliteFolder, recursive: true);
        if (postgres is not null)
            await postgres.DisposeAsync();
    }

    [BenchmarkCategory(PostgreSqlOne), Benchmark(Baseline = true, Description = "raw INSERT (pooled connection, pre-serialized bytes)")]
    public async Task<long> PostgreSqlRawInsert()
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await row.InsertAsync(connection, null);
    }

    [BenchmarkCategory(PostgreSqlOne), Benchmark(Description = "IMailOutbox.EnqueueAsync(message)")]
    public async Task<long> PostgreSqlEnqueue() => (await postgresOutbox.EnqueueAsync(message)).Id;

    [BenchmarkCategory(PostgreSqlOne), Benchmark(Description = "IMailOutboxStore.EnqueueAsync(message) (no dispatcher wake-up)")]
    public async Task<long> PostgreSqlStoreEnqueue() => (await postgresStore.EnqueueAsync(message)).Id;

    [BenchmarkCategory(PostgreSqlOne), Benchmark(Description = "part: MimeMessage.WriteTo + ToArray only")]
    public int Serialize()
    {
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer);
        return buffer.ToArray().Length;
    }

    [BenchmarkCategory(PostgreSqlOne), Benchmark(Description = "part: OutboxEntry.Create (checks, envelope, serialization) only")]
    public int CreateEntry() => Mailing.Toolkit.Outbox.Internal.OutboxEntry.Create(message, EnqueueOptions, BenchMessages.From, 25 * 1024 * 1024).Content.Length;

    [BenchmarkCategory(PostgreSqlBatch), Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "raw: 100 INSERTs, 1 transaction")]
    public async Task PostgreSqlRawBatch()
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < Batch; i++)
            await row.InsertAsync(connection, transaction);
        await transaction.CommitAsync();
    }

    [BenchmarkCategory(PostgreSqlBatch), Benchmark(OperationsPerInvoke = Batch, Description = "100 x EnqueueAsync(message, transaction)")]
    public async Task PostgreSqlEnqueueBatch()
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < Batch; i++)
            await postgresOutbox.EnqueueAsync(message, transaction);
        await transaction.CommitAsync();
    }

    [BenchmarkCategory(SqliteOne), Benchmark(Baseline = true, Description = "raw INSERT (pooled connection, pre-serialized bytes)")]
    public async Task<long> SqliteRawInsert()
    {
        await using var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync();
        return await row.InsertAsync(connection, null);
    }

    [BenchmarkCategory(SqliteOne), Benchmark(Description = "part: raw INSERT + PRAGMA synchronous = NORMAL per open (as the outbox opens)")]
    public async Task<long> SqliteRawInsertWithPragma()
    {
        await using var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync();
        await using (var pragma = new SqliteCommand("PRAGMA synchronous = NORMAL", connection))
            await pragma.ExecuteNonQueryAsync();
        return await row.InsertAsync(connection, null);
    }

    [BenchmarkCategory(SqliteOne), Benchmark(Description = "IMailOutbox.EnqueueAsync(message)")]
    public async Task<long> SqliteEnqueue() => (await sqliteOutbox.EnqueueAsync(message)).Id;

    [BenchmarkCategory(SqliteOne), Benchmark(Description = "IMailOutboxStore.EnqueueAsync(message) (no dispatcher wake-up)")]
    public async Task<long> SqliteStoreEnqueue() => (await sqliteStore.EnqueueAsync(message)).Id;

    [BenchmarkCategory(SqliteBatch), Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "raw: 100 INSERTs, 1 transaction")]
    public async Task SqliteRawBatch()
    {
        await using var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        for (var i = 0; i < Batch; i++)
            await row.InsertAsync(connection, transaction);
        await transaction.CommitAsync();
    }

    [BenchmarkCategory(SqliteBatch), Benchmark(OperationsPerInvoke = Batch, Description = "part: raw, the outbox's statement (ON CONFLICT ... DO NOTHING, 10 parameters)")]
    public async Task SqliteRawBatchUpsert()
    {
        await using var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        for (var i = 0; i < Batch; i++)
            await row.InsertAsync(connection, transaction, asTheOutbox: true);
        await transaction.CommitAsync();
    }

    [BenchmarkCategory(SqliteBatch), Benchmark(OperationsPerInvoke = Batch, Description = "100 x EnqueueAsync(message, transaction)")]
    public async Task SqliteEnqueueBatch()
    {
        await using var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < Batch; i++)
            await sqliteOutbox.EnqueueAsync(message, transaction);
        await transaction.CommitAsync();
    }
}

/// <summary>
/// Dispatch end to end: <see cref="Messages"/> rows queued in PostgreSQL (in the iteration setup, not measured), then
/// the outbox dispatcher (<c>AddOutbox</c>, 4 workers, <c>UsePostgreSql</c>) started and timed until the last row is
/// recorded Sent, against the pooled <see cref="IMailSender"/> sending the same number of messages from 4 concurrent
/// callers. Both send through <c>AddSmtpSender</c> with 4 connections, opened in the global setup, to Postfix's
/// smtp-sink on loopback. A third row runs the same dispatcher over a no-op <see cref="IMailSender"/>: the outbox's own
/// work (lease, load the stored message, record the outcome) without any SMTP. Both outboxes' stores are wrapped in
/// <see cref="TimedStore"/>, which prints after each iteration how many leases and completions it took and how long they waited.
/// </summary>
[Config(typeof(OutboxDispatchConfig))]
public class OutboxDispatchBenchmarks
{
    private const int Messages = 2000;
    private const int Workers = 4;

    private readonly ConcurrentCallers load = new(Workers, Messages);
    private SmtpSinkServer? sink;
    private PostgresFixture? postgres;
    private ServiceProvider? directProvider;
    private IMailSender direct = null!;
    private DispatchRig? smtp, noop, current;
    private MeterListener? listener;
    private long sent, otherOutcomes, target;
    private TaskCompletionSource allSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        try
        {
            sink = await SmtpSinkServer.StartAsync();
            postgres = new PostgresFixture();
            await postgres.InitializeAsync();
            postgres.EnsureAvailable();

            directProvider = OutboxProviders.Sending(sink.Port, Workers, b => { });
            direct = directProvider.GetRequiredService<IMailSender>();
            await Task.WhenAll(load.Messages.Select(m => direct.SendAsync(m))); // the pool's 4 connections

            listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == MailingTelemetry.MeterName && instrument.Name == "mailing.outbox.dispatched")
                        l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<long>(OnDispatched);
            listener.Start();

            smtp = await DispatchRig.CreateAsync(postgres, dataSource => OutboxProviders.Sending(sink.Port, Workers, b =>
            {
                b.AddOutbox(o => o.Workers = Workers).UsePostgreSql(o => o.DataSource = dataSource);
                TimedStore.Register(b.Services);
            }));
            await Task.WhenAll(load.Messages.Select(m => smtp.Provider.GetRequiredService<IMailSender>().SendAsync(m))); // the outbox's sender's 4 connections
            noop = await DispatchRig.CreateAsync(postgres, dataSource =>
            {
                var services = new ServiceCollection();
                services.AddLogging();
                services.AddSingleton<IMailSender>(new NoOpSender());
                services.AddMailing(o => o.DefaultFrom = BenchMessages.From).AddOutbox(o => o.Workers = Workers).UsePostgreSql(o => o.DataSource = dataSource);
                TimedStore.Register(services);
                return services.BuildServiceProvider();
            });

            // A few rounds through each dispatcher (migrations, first leases and completions), then an empty table; then
            // the plan of the lease with a full queue.
            foreach (var rig in new[] { smtp, noop })
            {
                current = rig;
                for (var round = 0; round < 3; round++)
                {
                    await QueueAsync(Messages / 10);
                    await RunDispatcherAsync();
                    await StopDispatcherAsync(Messages / 10);
                }
            }

            current = smtp;
            await QueueAsync(Messages);
            await OutboxRow.ExplainLeaseAsync(smtp.DataSource, 1);
            await OutboxRow.ExecuteAsync(smtp.DataSource, "TRUNCATE mailing.outbox");
            Console.WriteLine($"// smtp-sink on 127.0.0.1:{sink.Port}, {Workers} workers / callers, {Messages} messages of {BenchMessages.WireSize(load.Messages[0])} bytes");
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        listener?.Dispose();
        if (smtp is not null)
            await smtp.DisposeAsync();
        if (noop is not null)
            await noop.DisposeAsync();
        if (directProvider is not null)
            await directProvider.DisposeAsync();
        if (postgres is not null)
            await postgres.DisposeAsync();
        if (sink is not null)
            await sink.DisposeAsync();
    }

    [IterationSetup(Target = nameof(Outbox))]
    public void QueueSmtp()
    {
        current = smtp;
        QueueAsync(Messages).GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(OutboxNoOpSender))]
    public void QueueNoOp()
    {
        current = noop;
        QueueAsync(Messages).GetAwaiter().GetResult();
    }

    [IterationCleanup(Targets = [nameof(Outbox), nameof(OutboxNoOpSender)])]
    public void Stop() => StopDispatcherAsync(Messages).GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "pooled IMailSender, 4 callers")]
    public Task Direct() => load.RunAsync(caller => direct.SendAsync(load.Messages[caller]));

    [Benchmark(OperationsPerInvoke = Messages, Description = "outbox dispatcher, 4 workers, PostgreSQL")]
    public Task Outbox() => RunDispatcherAsync();

    [Benchmark(OperationsPerInvoke = Messages, Description = "part: the same dispatcher, no-op IMailSender (no SMTP)")]
    public Task OutboxNoOpSender() => RunDispatcherAsync();

    /// <summary>Queues <paramref name="count"/> rows in one transaction (the transactional enqueue does not wake the dispatcher).</summary>
    private async Task QueueAsync(int count)
    {
        var rig = current!;
        await using (var connection = await rig.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            for (var i = 0; i < count; i++)
                await rig.Outbox.EnqueueAsync(load.Messages[i % load.Messages.Length], transaction);
            await transaction.CommitAsync();
        }

        Interlocked.Exchange(ref sent, 0);
        Interlocked.Exchange(ref otherOutcomes, 0);
        Interlocked.Exchange(ref target, count);
        allSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task RunDispatcherAsync()
    {
        await current!.Dispatcher.StartAsync(CancellationToken.None);
        await allSent.Task.WaitAsync(TimeSpan.FromMinutes(2));
    }

    private async Task StopDispatcherAsync(int expected)
    {
        var rig = current!;
        await rig.Dispatcher.StopAsync(CancellationToken.None);
        Console.WriteLine("// " + rig.Provider.GetRequiredService<IMailOutboxStore>() + $" over {expected} messages");
        var sentRows = await OutboxRow.CountAsync(rig.DataSource, OutboxState.Sent);
        if (sentRows != expected || Interlocked.Read(ref otherOutcomes) != 0)
            throw new InvalidOperationException($"{sentRows} of {expected} rows Sent, {otherOutcomes} other outcomes.");
        await OutboxRow.ExecuteAsync(rig.DataSource, "TRUNCATE mailing.outbox");
    }

    private void OnDispatched(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key != "mailing.outbox.outcome")
                continue;
            if (tag.Value as string == "sent")
            {
                if (Interlocked.Add(ref sent, value) >= Interlocked.Read(ref target))
                    allSent.TrySetResult();
            }
            else
            {
                Interlocked.Add(ref otherOutcomes, value);
                allSent.TrySetException(new InvalidOperationException($"A dispatch ended with outcome {tag.Value}."));
            }
        }
    }

    /// <summary>One outbox with its dispatcher on a database of its own.</summary>
    private sealed class DispatchRig : IAsyncDisposable
    {
        private DispatchRig(NpgsqlDataSource dataSource, ServiceProvider provider)
        {
            DataSource = dataSource;
            Provider = provider;
            Outbox = provider.GetRequiredService<IMailOutbox>();
            Dispatcher = provider.GetServices<IHostedService>().Single(s => s.GetType().Name == "OutboxDispatcher");
        }

        public NpgsqlDataSource DataSource { get; }

        public ServiceProvider Provider { get; }

        public IMailOutbox Outbox { get; }

        /// <summary>The outbox's dispatcher, started and stopped by hand (its BackgroundService restarts cleanly).</summary>
        public IHostedService Dispatcher { get; }

        public static async Task<DispatchRig> CreateAsync(PostgresFixture postgres, Func<NpgsqlDataSource, ServiceProvider> build)
        {
            var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
            return new DispatchRig(dataSource, build(dataSource));
        }

        public async ValueTask DisposeAsync()
        {
            await Provider.DisposeAsync();
            await DataSource.DisposeAsync();
        }
    }

    /// <summary>
    /// The registered store with its <see cref="LeaseAsync"/> and <see cref="CompleteAsync"/> calls counted and timed (two
    /// timestamps and a few interlocked adds per call), so each iteration can say where the dispatcher's time goes.
    /// </summary>
    private sealed class TimedStore(IMailOutboxStore inner) : IMailOutboxStore
    {
        private long leases, leasedRows, leaseTicks, completions, completedRows, completeTicks;

        public static void Register(IServiceCollection services)
        {
            var registered = services.Last(d => d.ServiceType == typeof(IMailOutboxStore));
            services.Remove(registered);
            services.AddSingleton<IMailOutboxStore>(sp => new TimedStore((IMailOutboxStore)registered.ImplementationFactory!(sp)));
        }

        public async Task<IReadOnlyList<OutboxLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await inner.LeaseAsync(maxCount, leaseDuration, cancellationToken);
            Interlocked.Add(ref leaseTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref leases);
            Interlocked.Add(ref leasedRows, result.Count);
            return result;
        }

        public async Task<bool> CompleteAsync(OutboxLease lease, OutboxCompletion completion, CancellationToken cancellationToken = default)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await inner.CompleteAsync(lease, completion, cancellationToken);
            Interlocked.Add(ref completeTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref completions);
            return result;
        }

        public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await inner.CompleteAsync(outcomes, cancellationToken);
            Interlocked.Add(ref completeTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref completions);
            Interlocked.Add(ref completedRows, outcomes.Count);
            return result;
        }

        /// <summary>The counts since the last call, then resets them.</summary>
        public override string ToString()
        {
            var (l, rows, lt, c, ct) = (Interlocked.Exchange(ref leases, 0), Interlocked.Exchange(ref leasedRows, 0), Interlocked.Exchange(ref leaseTicks, 0), Interlocked.Exchange(ref completions, 0), Interlocked.Exchange(ref completeTicks, 0));
            var completed = Interlocked.Exchange(ref completedRows, 0);
            static double Ms(long ticks, long count) => count == 0 ? 0 : ticks * 1000.0 / Stopwatch.Frequency / count;
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"store calls: {l} leases ({(l == 0 ? 0 : (double)rows / l):F2} rows each, {Ms(lt, l):F3} ms each, {lt * 1000.0 / Stopwatch.Frequency:F0} ms in all), {c} completion calls ({(c == 0 ? 0 : (double)completed / c):F2} rows each, {Ms(ct, c):F3} ms each)");
        }

        public Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default) => inner.EnqueueAsync(message, options, cancellationToken);

        public Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, System.Data.Common.DbTransaction transaction, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default) => inner.EnqueueAsync(message, transaction, options, cancellationToken);

        public Task<OutboxMessage?> GetAsync(long id, CancellationToken cancellationToken = default) => inner.GetAsync(id, cancellationToken);

        public Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxQuery? query = null, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);

        public Task<bool> CancelAsync(long id, CancellationToken cancellationToken = default) => inner.CancelAsync(id, cancellationToken);

        public Task<bool> RequeueAsync(long id, CancellationToken cancellationToken = default) => inner.RequeueAsync(id, cancellationToken);

        public Task<int> PurgeAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default) => inner.PurgeAsync(finishedBefore, cancellationToken);

        public Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => inner.GetStatisticsAsync(cancellationToken);
    }

    /// <summary>Accepts every message at once.</summary>
    private sealed class NoOpSender : IMailSender
    {
        public Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<SendResult> SendAsync(MimeMessage message, MailEnvelope? envelope = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new SendResult(message.MessageId ?? string.Empty, [], "no-op", 1, "250 2.0.0 Ok"));
    }
}

/// <summary>
/// Cost at scale: single-row enqueue and <see cref="IMailOutboxStore.LeaseAsync"/> (4 rows, as a dispatcher with 4 free
/// workers asks) on PostgreSQL with 1,000,000 rows queued and due, against the same operations with 1,000 rows queued.
/// The rows are filled by one INSERT ... SELECT generate_series (small 300-byte messages, so the fill stays under a
/// minute), then VACUUM ANALYZE and CHECKPOINT. Every iteration is 500 enqueues or 200 leases; before each lease iteration the leased
/// rows are put back in the queue (not measured), so the queue keeps its size.
/// </summary>
[Config(typeof(OutboxScaleConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OutboxScaleBenchmarks
{
    private const int SmallRows = 1_000;
    private const int LargeRows = 1_000_000;
    private const int Enqueues = 500;
    private const int Leases = 200;
    private const int LeaseCount = 4;

    private PostgresFixture? postgres;
    private NpgsqlDataSource dataSource = null!;
    private ServiceProvider? provider;
    private IMailOutbox outbox = null!;
    private IMailOutboxStore store = null!;
    private MimeMessage message = null!;

    [GlobalSetup(Targets = [nameof(EnqueueSmall), nameof(LeaseSmall)])]
    public Task SetupSmallAsync() => SetupAsync(SmallRows);

    [GlobalSetup(Targets = [nameof(EnqueueLarge), nameof(LeaseLarge)])]
    public Task SetupLargeAsync() => SetupAsync(LargeRows);

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (provider is not null)
            await provider.DisposeAsync();
        if (dataSource is not null)
            await dataSource.DisposeAsync();
        if (postgres is not null)
            await postgres.DisposeAsync();
    }

    [IterationSetup(Targets = [nameof(LeaseSmall), nameof(LeaseLarge)])]
    public void Requeue() =>
        OutboxRow.ExecuteAsync(dataSource, "UPDATE mailing.outbox SET state = 0, due_at = created_at, lease_token = NULL, attempts = 0 WHERE state = 1").GetAwaiter().GetResult();

    [BenchmarkCategory("Enqueue 1 row"), Benchmark(Baseline = true, OperationsPerInvoke = Enqueues, Description = "1,000 rows queued")]
    public Task EnqueueSmall() => EnqueueAsync();

    [BenchmarkCategory("Enqueue 1 row"), Benchmark(OperationsPerInvoke = Enqueues, Description = "1,000,000 rows queued")]
    public Task EnqueueLarge() => EnqueueAsync();

    [BenchmarkCategory("Lease 4 rows"), Benchmark(Baseline = true, OperationsPerInvoke = Leases, Description = "1,000 rows queued")]
    public Task LeaseSmall() => LeaseAsync();

    [BenchmarkCategory("Lease 4 rows"), Benchmark(OperationsPerInvoke = Leases, Description = "1,000,000 rows queued")]
    public Task LeaseLarge() => LeaseAsync();

    private async Task EnqueueAsync()
    {
        for (var i = 0; i < Enqueues; i++)
            await outbox.EnqueueAsync(message);
    }

    private async Task LeaseAsync()
    {
        for (var i = 0; i < Leases; i++)
        {
            var leases = await store.LeaseAsync(LeaseCount, TimeSpan.FromMinutes(5));
            if (leases.Count != LeaseCount)
                throw new InvalidOperationException($"Leased {leases.Count} rows, expected {LeaseCount}.");
        }
    }

    private async Task SetupAsync(int rows)
    {
        try
        {
            message = BenchMessages.Create(0);
            postgres = new PostgresFixture();
            await postgres.InitializeAsync();
            postgres.EnsureAvailable();
            dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
            provider = OutboxProviders.Enqueuing(b => b.UsePostgreSql(o => o.DataSource = dataSource));
            outbox = provider.GetRequiredService<IMailOutbox>();
            store = provider.GetRequiredService<IMailOutboxStore>();
            await outbox.EnqueueAsync(message); // applies the migrations
            await OutboxRow.ExecuteAsync(dataSource, "TRUNCATE mailing.outbox");

            var fill = Stopwatch.StartNew();
            await using (var command = dataSource.CreateCommand(
                "INSERT INTO mailing.outbox (" + OutboxRow.Columns + ") " +
                "SELECT 'fill.' || g || '@example.test', 0, 0, NULL, NULL, 'Fill ' || g, 'sink@example.test', NULL, @message, length(@message), " +
                "@start + g * interval '1 microsecond', @start + g * interval '1 microsecond', 0 FROM generate_series(1, @rows) AS g"))
            {
                command.CommandTimeout = 600;
                command.Parameters.AddWithValue("message", SmallMessage());
                command.Parameters.AddWithValue("start", DateTimeOffset.UtcNow.AddDays(-1));
                command.Parameters.AddWithValue("rows", rows);
                await command.ExecuteNonQueryAsync();
            }

            var filled = fill.Elapsed;
            await OutboxRow.ExecuteAsync(dataSource, "VACUUM ANALYZE mailing.outbox", timeoutSeconds: 600);
            // Write the fill's dirty pages now, so no checkpoint spreads them over the measured iterations.
            await OutboxRow.ExecuteAsync(dataSource, "CHECKPOINT", timeoutSeconds: 600);
            var size = await OutboxRow.ExecuteAsync(dataSource, "SELECT pg_size_pretty(pg_total_relation_size('mailing.outbox'))");
            Console.WriteLine($"// {await OutboxRow.CountAsync(dataSource, OutboxState.Queued):N0} rows queued ({size} with indexes): filled in {filled.TotalSeconds:F1} s, VACUUM ANALYZE {(fill.Elapsed - filled).TotalSeconds:F1} s");
            await OutboxRow.ExplainLeaseAsync(dataSource, LeaseCount);
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    private static byte[] SmallMessage()
    {
        using var small = new MimeMessage();
        small.From.Add(MailboxAddress.Parse(BenchMessages.From));
        small.To.Add(MailboxAddress.Parse(BenchMessages.To));
        small.Subject = "Fill";
        small.MessageId = "fill@example.test";
        small.Date = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        small.Body = new TextPart(MimeKit.Text.TextFormat.Plain) { Text = "A queued row of the fill.\r\n" };
        using var buffer = new MemoryStream();
        small.WriteTo(FormatOptions.Default, buffer);
        return buffer.ToArray();
    }
}

/// <summary>The service providers the outbox benchmarks build.</summary>
internal static class OutboxProviders
{
    /// <summary>An outbox that only enqueues (<see cref="OutboxOptions.Background"/> false: no dispatcher, no sender).</summary>
    public static ServiceProvider Enqueuing(Action<IMailingBuilder> storage)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddMailing(o => o.DefaultFrom = BenchMessages.From).AddOutbox(o => o.Background = false);
        storage(builder);
        return services.BuildServiceProvider();
    }

    /// <summary>The pooled SMTP sender to smtp-sink with <paramref name="connections"/> connections, plus whatever <paramref name="more"/> adds.</summary>
    public static ServiceProvider Sending(int port, int connections, Action<IMailingBuilder> more)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddMailing(o => o.DefaultFrom = BenchMessages.From).AddSmtpSender(o =>
        {
            o.Host = SmtpSinkServer.Host;
            o.Port = port;
            o.Security = SecureSocketOptions.None;
            o.MaxConnections = connections;
            o.MaxMessagesPerConnection = 100_000;
        });
        more(builder);
        return services.BuildServiceProvider();
    }
}

/// <summary>Sub-millisecond operations: BenchmarkDotNet's throughput strategy, one process per row, 3 warm-up and 10 measured iterations.</summary>
internal sealed class OutboxEnqueueConfig : ManualConfig
{
    public OutboxEnqueueConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
    }
}

/// <summary>One invocation per iteration (a whole dispatch of 2,000 messages, with its own setup), as the SMTP suites do.</summary>
internal sealed class OutboxDispatchConfig : ManualConfig
{
    public OutboxDispatchConfig()
    {
        // InvocationCount and UnrollFactor 1 for every row, so the row without an iteration setup shares the others' job (and ratio).
        AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(12).WithInvocationCount(1).WithUnrollFactor(1));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
    }
}

/// <summary>One invocation per iteration (500 enqueues or 200 leases), so the lease rows can be requeued between iterations.</summary>
internal sealed class OutboxScaleConfig : ManualConfig
{
    public OutboxScaleConfig()
    {
        AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(20).WithInvocationCount(1).WithUnrollFactor(1));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Value);
    }
}
