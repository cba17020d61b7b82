using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Outbox;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;
using Xunit.Abstractions;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>
/// The PostgreSQL outbox dispatched by real processes (tests/Mailing.Toolkit.OutboxWorker) to the in-process
/// <see cref="SmtpSink"/>: one worker sends each message exactly once; a worker killed with SIGKILL mid-run leaves
/// nothing unsent, and only the rows it had leased (state Sending at the kill) may arrive twice; three workers on one
/// database send each message exactly once between them, each a fair share. Every message carries the
/// <c>X-Outbox-Worker</c> header of the process that sent it.
/// </summary>
[Collection(PostgresFixture.Collection)]
public sealed class OutboxProcessTests(PostgresFixture postgres, ITestOutputHelper output)
{
    /// <summary>Long enough never to fire in a passing test; the guard only turns a hang into a failure.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);
    private const int WorkersPerProcess = 4;
    private const string Table = "\"mailing\".\"outbox\"";

    [SkippableFact]
    public async Task Dispatch_OneWorkerProcess_SendsEachOf1000MessagesExactlyOnce()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var sink = new SmtpSink();
        var queued = await EnqueueAsync(connectionString, 1000);

        var clock = Stopwatch.StartNew();
        using (var worker = WorkerProcess.Start(connectionString, sink.Port, "single"))
            await worker.WaitForCleanExitAsync(Guard);
        var received = Received(sink);
        output.WriteLine($"1 process: {received.Count} received, {received.Select(r => r.MessageId).Distinct().Count()} unique in {clock.Elapsed.TotalSeconds:F1} s");

        await ReportTimingsAsync(connectionString);
        AssertEachExactlyOnce(queued, received);
        await AssertAllSentAsync(connectionString, queued.Count);
    }

    [SkippableFact]
    public async Task Dispatch_WorkerKilledMidRun_EveryMessageArrivesAndOnlyRowsSendingAtTheKillArriveTwice()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var sink = new SmtpSink();
        var queued = await EnqueueAsync(connectionString, 5000);

        var clock = Stopwatch.StartNew();
        int receivedAtKill;
        HashSet<string> sendingAtKill;
        using (var killed = WorkerProcess.Start(connectionString, sink.Port, "killed"))
        {
            // SIGKILL the moment the sink stores the 400th message, usually before its reply reaches the worker: that
            // one, and any other accepted but not yet recorded, stays in state Sending, and the survivor sends it again.
            await killed.KillWhenAsync(() => sink.Messages.Count >= 400, Guard, "the first worker had sent 400 messages");
            receivedAtKill = sink.Messages.Count;
            // Statements it had sent may still finish: the rows are read once its backends are gone.
            await WaitForConnectionsGoneAsync(connectionString, "killed");
            sendingAtKill = await MessageIdsInStateAsync(connectionString, OutboxState.Sending);
        }

        var killedAt = clock.Elapsed;
        using (var survivor = WorkerProcess.Start(connectionString, sink.Port, "survivor"))
            await survivor.WaitForCleanExitAsync(Guard);

        var received = Received(sink);
        var duplicates = received.GroupBy(r => r.MessageId).Where(g => g.Count() > 1).ToList();
        var byKilled = received.Count(r => r.Worker == "killed");
        output.WriteLine(
            $"killed after {killedAt.TotalSeconds:F1} s with {receivedAtKill} received ({byKilled} in all from the killed process); " +
            $"{sendingAtKill.Count} rows Sending at the kill; done after {clock.Elapsed.TotalSeconds:F1} s: " +
            $"{received.Count} received, {received.Select(r => r.MessageId).Distinct().Count()} unique, {duplicates.Count} duplicated " +
            $"({duplicates.Sum(g => g.Count() - 1)} extra copies)");

        await ReportTimingsAsync(connectionString);
        Assert.True(byKilled < queued.Count, "the first worker was to be killed before it had sent everything");
        Assert.Empty(queued.Except(received.Select(r => r.MessageId)));
        Assert.Empty(received.Select(r => r.MessageId).Except(queued));
        var outsideTheLeases = duplicates.Select(g => g.Key).Where(id => !sendingAtKill.Contains(id)).ToList();
        Assert.True(outsideTheLeases.Count == 0, $"{outsideTheLeases.Count} messages arrived twice that were not being sent at the kill, e.g. {string.Join(", ", outsideTheLeases.Take(5))}");
        // A copy comes from each process at most: within one process nothing is sent twice.
        var twiceFromOne = received.GroupBy(r => (r.MessageId, r.Worker)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twiceFromOne.Count == 0, $"{twiceFromOne.Count} messages arrived twice from one process, e.g. {string.Join(", ", twiceFromOne.Take(5))}");
        await AssertAllSentAsync(connectionString, queued.Count);
    }

    [SkippableFact]
    public async Task Dispatch_ThreeWorkerProcesses_SendEachOf10000MessagesExactlyOnceAndEachAShare()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var sink = new SmtpSink();
        var queued = await EnqueueAsync(connectionString, 10_000);

        var clock = Stopwatch.StartNew();
        string[] tags = ["a", "b", "c"];
        var workers = tags.Select(tag => WorkerProcess.Start(connectionString, sink.Port, tag)).ToList();
        try
        {
            await Task.WhenAll(workers.Select(w => w.WaitForCleanExitAsync(Guard)));
        }
        finally
        {
            foreach (var worker in workers)
                worker.Dispose();
        }

        var received = Received(sink);
        var shares = tags.ToDictionary(tag => tag, tag => received.Count(r => r.Worker == tag));
        output.WriteLine(
            $"3 processes: {received.Count} received, {received.Select(r => r.MessageId).Distinct().Count()} unique in {clock.Elapsed.TotalSeconds:F1} s; " +
            string.Join(", ", shares.Select(s => $"{s.Key} sent {s.Value} ({100.0 * s.Value / queued.Count:F1}%)")));

        AssertEachExactlyOnce(queued, received);
        Assert.All(shares, share => Assert.True(share.Value > queued.Count / 10, $"process {share.Key} sent only {share.Value} of {queued.Count}"));
        await AssertAllSentAsync(connectionString, queued.Count);
    }

    private static void AssertEachExactlyOnce(List<string> queued, List<Arrival> received)
    {
        var twice = received.GroupBy(r => r.MessageId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} messages arrived more than once, e.g. {string.Join(", ", twice.Take(5))}");
        Assert.Equal(queued.Order(StringComparer.Ordinal), received.Select(r => r.MessageId).Order(StringComparer.Ordinal));
    }

    /// <summary>Queues <paramref name="count"/> small messages, 500 to a transaction, and returns their Message-IDs.</summary>
    private async Task<List<string>> EnqueueAsync(string connectionString, int count)
    {
        var clock = Stopwatch.StartNew();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddOutbox(o => o.Background = false).UsePostgreSql(connectionString);
        await using var provider = services.BuildServiceProvider();
        var outbox = provider.GetRequiredService<IMailOutbox>();
        var ids = new List<string>(count);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        for (var start = 0; start < count; start += 500)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = start; i < Math.Min(count, start + 500); i++)
            {
                using var message = new MimeMessage(
                    [new MailboxAddress("App", "app@example.test")],
                    [new MailboxAddress("Rcpt", $"rcpt{i % 10}@example.test")],
                    $"Outbox {i}",
                    new TextPart("plain") { Text = $"Message {i}." });
                ids.Add((await outbox.EnqueueAsync(message, transaction)).MessageId);
            }

            await transaction.CommitAsync();
        }

        output.WriteLine($"queued {count} in {clock.Elapsed.TotalSeconds:F1} s");
        return ids;
    }

    /// <summary>What the sink got: each message's Message-ID and the tag of the process that sent it.</summary>
    private static List<Arrival> Received(SmtpSink sink) =>
        sink.Messages.Select(m =>
        {
            using var parsed = m.Parse();
            return new Arrival(parsed.MessageId ?? "", parsed.Headers["X-Outbox-Worker"] ?? "");
        }).ToList();

    private static async Task AssertAllSentAsync(string connectionString, int expected)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT state, COUNT(*) FROM {Table} GROUP BY state ORDER BY state", connection);
        var states = new List<string>();
        var sent = 0L;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var state = (OutboxState)reader.GetInt16(0);
                states.Add($"{state} {reader.GetInt64(1)}");
                if (state == OutboxState.Sent)
                    sent = reader.GetInt64(1);
            }
        }

        Assert.True(sent == expected, $"expected all {expected} rows Sent, found {string.Join(", ", states)}");
    }

    /// <summary>Reports how long a row's last attempt took (lease to outcome) and how long sending took from the first lease to the last outcome.</summary>
    private async Task ReportTimingsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - last_attempt_at) * 1000), " +
            $"EXTRACT(EPOCH FROM MAX(finished_at) - MIN(last_attempt_at)) FROM {Table} WHERE state = 2", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var percentiles = reader.GetFieldValue<double[]>(0);
        output.WriteLine($"attempt (lease to outcome) p50 {percentiles[0]:F1} ms, p90 {percentiles[1]:F1} ms, p99 {percentiles[2]:F1} ms; first lease to last outcome {reader.GetDouble(1):F1} s");
    }

    private static async Task<HashSet<string>> MessageIdsInStateAsync(string connectionString, OutboxState state)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT message_id FROM {Table} WHERE state = @state", connection);
        command.Parameters.AddWithValue("state", (short)state);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Waits until the server has no backend left for the worker tagged <paramref name="tag"/> (its application name).</summary>
    private static async Task WaitForConnectionsGoneAsync(string connectionString, string tag)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = @name", connection);
        command.Parameters.AddWithValue("name", WorkerProcess.ApplicationName(tag));
        var clock = Stopwatch.StartNew();
        while ((long)(await command.ExecuteScalarAsync())! > 0)
        {
            Assert.True(clock.Elapsed < Guard, $"the killed worker's connections were still open after {Guard}");
            await Task.Delay(20);
        }
    }

    private sealed record Arrival(string MessageId, string Worker);

    /// <summary>tests/Mailing.Toolkit.OutboxWorker as a child process (built next to this test project), its output collected.</summary>
    private sealed class WorkerProcess : IDisposable
    {
        private readonly Process process;
        private readonly StringBuilder log = new();

        private WorkerProcess(Process process, string tag)
        {
            this.process = process;
            Tag = tag;
        }

        public string Tag { get; }

        /// <summary>The application name the worker's database connections carry (see its Program.cs).</summary>
        public static string ApplicationName(string tag) => "outbox-worker-" + tag;

        public static WorkerProcess Start(string connectionString, int smtpPort, string tag)
        {
            var dll = Path.Combine(AppContext.BaseDirectory.Replace("Mailing.Toolkit.IntegrationTests", "Mailing.Toolkit.OutboxWorker", StringComparison.Ordinal), "Mailing.Toolkit.OutboxWorker.dll");
            Assert.True(File.Exists(dll), $"The outbox worker is not built: {dll}");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[]
            {
                dll, connectionString, smtpPort.ToString(CultureInfo.InvariantCulture), WorkersPerProcess.ToString(CultureInfo.InvariantCulture),
                ((int)Lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), tag,
            })
            {
                start.ArgumentList.Add(argument);
            }

            var worker = new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"), tag);
            worker.process.OutputDataReceived += (_, e) => worker.Append(e.Data);
            worker.process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
            worker.process.BeginOutputReadLine();
            worker.process.BeginErrorReadLine();
            return worker;
        }

        /// <summary>What the worker printed (the last 8,000 characters), for failure messages.</summary>
        public string Log
        {
            get
            {
                lock (log)
                    return log.Length <= 8000 ? log.ToString() : log.ToString(log.Length - 8000, 8000);
            }
        }

        /// <summary>
        /// Kills the worker (SIGKILL) as soon as <paramref name="condition"/> holds, checked in a tight loop on a thread of
        /// its own so the kill comes within moments; fails when the worker exits first or the guard fires.
        /// </summary>
        public Task KillWhenAsync(Func<bool> condition, TimeSpan guard, string what) => Task.Factory.StartNew(
            () =>
            {
                var clock = Stopwatch.StartNew();
                while (!condition())
                {
                    if (process.HasExited)
                        Assert.Fail($"worker {Tag} exited ({process.ExitCode}) before {what}:\n{Log}");
                    if (clock.Elapsed > guard)
                        Assert.Fail($"{what} did not happen within {guard}:\n{Log}");
                    Thread.Yield();
                }

                Kill();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        /// <summary>Waits until the worker exits on its own (the outbox drained) and checks it exited 0.</summary>
        public async Task WaitForCleanExitAsync(TimeSpan guard)
        {
            using var timeout = new CancellationTokenSource(guard);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"worker {Tag} did not finish within {guard}:\n{Log}");
            }

            process.WaitForExit(); // the redirected output is complete only after this
            Assert.True(process.ExitCode == 0, $"worker {Tag} exited with {process.ExitCode}:\n{Log}");
        }

        /// <summary>SIGKILL, and waits until the process is gone.</summary>
        public void Kill()
        {
            process.Kill();
            process.WaitForExit();
        }

        public void Dispose()
        {
            if (!process.HasExited)
                Kill();
            process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
                return;
            lock (log)
                log.AppendLine(line);
        }
    }
}
