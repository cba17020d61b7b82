using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Search;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using Xunit.Abstractions;

namespace Mailing.Toolkit.IntegrationTests.Receiving;

/// <summary>
/// Several receivers with claim folders on one Dovecot mailbox: every message handled exactly once, by two and by three
/// instances, with a handler slower than the lease, after a move that copied without expunging, and when one instance is
/// killed (SIGKILL) mid-batch and another takes its claims over. <c>scripts/stress-claims.sh</c> runs these in a loop
/// with every core busy.
/// </summary>
[Collection(DovecotFixture.Collection)]
public sealed class ImapClaimTests(DovecotFixture dovecot, ITestOutputHelper output) : IDisposable
{
    /// <summary>Long enough never to fire in a passing test; the guard only turns a hang into a failure.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);

    private readonly string stateFolder = Path.Combine(Path.GetTempPath(), "mailing-claims-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(stateFolder))
            Directory.Delete(stateFolder, recursive: true);
    }

    [SkippableFact]
    public async Task ReceiveAsync_TwoInstances_HandleEachOf500MessagesExactlyOnce()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("claims");
        var sent = await dovecot.AppendManyAsync(user, 500);

        var handled = await RunInstancesAsync(user, sent.Count, batchSize: 20, "a", "b");

        await AssertEachHandledOnceAsync(user, sent, handled, "a", "b");
    }

    [SkippableFact]
    public async Task ReceiveAsync_ThreeInstances_HandleEachOf2000MessagesExactlyOnce()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("claims");
        var sent = await dovecot.AppendManyAsync(user, 2000);

        var handled = await RunInstancesAsync(user, sent.Count, batchSize: 50, "a", "b", "c");

        await AssertEachHandledOnceAsync(user, sent, handled, "a", "b", "c");
    }

    [SkippableFact]
    public async Task ReceiveAsync_HandlerSlowerThanTheLease_TheOtherInstanceTakesNothingOver()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("claims");
        var sent = await dovecot.AppendManyAsync(user, 40);
        var lease = TimeSpan.FromSeconds(1.5);
        var slowOnce = 0;
        var aSitting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Instance a sits on its first message for twice the lease (its lease is renewed meanwhile), then goes on.
        // Instance b handles nothing until a sits, so b cannot drain the mailbox before a has claimed a batch.
        var handled = await RunInstancesAsync(user, sent.Count, batchSize: 5, ["a", "b"], lease, async instance =>
        {
            if (instance != "a")
                await aSitting.Task;
            else if (Interlocked.Exchange(ref slowOnce, 1) == 0)
            {
                aSitting.SetResult();
                await Task.Delay(lease * 2);
            }
        });

        Assert.Equal(1, slowOnce);
        await AssertEachHandledOnceAsync(user, sent, handled, "a", "b");
    }

    [SkippableFact]
    public async Task AcknowledgeAsync_InClaimMode_LeavesNoClaimKeywordOnHandledMail()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("claims");
        await dovecot.AppendManyAsync(user, 4);
        await using (var provider = Build(user, "a", batchSize: 10, TimeSpan.FromMinutes(1)))
        {
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var index = 0;
            await foreach (var mail in receiver.ReceiveAsync())
                await receiver.AcknowledgeAsync(mail, index++ % 2 == 0 ? MailDisposition.MarkSeen : MailDisposition.MoveTo("Archive"));
            Assert.Equal(4, index);
        }

        using var imap = await dovecot.ConnectImapAsync(user);
        foreach (var (path, expected) in new[] { ("Processing/a", 2), ("Archive", 2) })
        {
            var folder = await imap.GetFolderAsync(path.Replace("/", imap.PersonalNamespaces[0].DirectorySeparator.ToString(), StringComparison.Ordinal));
            await folder.OpenAsync(FolderAccess.ReadOnly);
            var summaries = await folder.FetchAsync(0, -1, MessageSummaryItems.Flags);
            Assert.Equal(expected, summaries.Count);
            Assert.All(summaries, s => Assert.DoesNotContain(s.Keywords, k => k.StartsWith("$MailingClaim", StringComparison.OrdinalIgnoreCase)));
        }
    }

    [SkippableFact]
    public async Task ReceiveAsync_MoveThatCopiedWithoutExpunging_HandsEachMessageOnceAndExpungesTheOriginals()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("claims");
        var sent = await dovecot.AppendManyAsync(user, 5);
        // What a MOVE cut off between its copy and its expunge leaves (the reply lost, the process killed): three
        // messages carry instance a's claim keyword in INBOX, and their copies are already in a's claim folder.
        using (var imap = await dovecot.ConnectImapAsync(user))
        {
            var claimFolder = await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync("Processing", isMessageFolder: true);
            var a = await claimFolder!.CreateAsync("a", isMessageFolder: true);
            await imap.Inbox.OpenAsync(FolderAccess.ReadWrite);
            var first = (await imap.Inbox.SearchAsync(SearchQuery.All)).Take(3).ToList();
            await imap.Inbox.StoreAsync(first, new StoreFlagsRequest(StoreAction.Add, [ClaimKeyword("Processing/a")]) { Silent = true });
            await imap.Inbox.CopyToAsync(first, a!);
            await imap.DisconnectAsync(quit: true);
        }

        var handled = await RunInstancesAsync(user, sent.Count, batchSize: 10, "a");

        await AssertEachHandledOnceAsync(user, sent, handled, "a");
    }

    [SkippableFact]
    public async Task ReceiveAsync_InstanceKilledMidBatch_AnotherTakesItsClaimsOverAfterTheLease()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("claims");
        var sent = await dovecot.AppendManyAsync(user, 300);
        var lease = TimeSpan.FromSeconds(2);
        var killedHandled = new ConcurrentQueue<string>();
        var killedAcked = new ConcurrentQueue<string>();
        var started = new TaskCompletionSource();
        var enough = new TaskCompletionSource();

        using var worker = StartWorker(user, "Processing/w", lease, batchSize: 10, handlerDelay: TimeSpan.FromMilliseconds(20));
        worker.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Split(' ', 2) is [var verb, var id])
            {
                (verb == "handled" ? killedHandled : killedAcked).Enqueue(id);
                started.TrySetResult();
                if (killedHandled.Count >= 45) // mid-batch: five of its fifth batch are handled
                    enough.TrySetResult();
            }
        };
        worker.BeginOutputReadLine();
        try
        {
            // The survivor starts once the worker handles (a process starts slower than a receiver), and works at its pace.
            var exited = worker.WaitForExitAsync();
            Assert.True(await Task.WhenAny(started.Task, exited, Task.Delay(Guard)) == started.Task, "The worker did not start handling");
            var survivorHandled = new ConcurrentQueue<string>();
            await using var survivor = Build(user, "s", batchSize: 10, lease);
            using var stop = new CancellationTokenSource(Guard);
            var surviving = Task.Run(() => HandleUntilAsync(survivor.GetRequiredService<IMailReceiver>(), survivorHandled, () => AllHandled(), "s", _ => Task.Delay(20), stop.Token));

            var first = await Task.WhenAny(enough.Task, exited, Task.Delay(Guard));
            Assert.True(first == enough.Task, first == exited ? $"The worker exited early ({worker.ExitCode}): {await worker.StandardError.ReadToEndAsync()}" : "The worker handled too little before the guard fired");
            worker.Kill(); // SIGKILL: no logout, no last acknowledgement, the lease simply stops being renewed
            await worker.WaitForExitAsync();
            await surviving;

            bool AllHandled() => sent.All(id => survivorHandled.Contains(id) || killedAcked.Contains(id));
            var unacknowledged = killedHandled.Except(killedAcked).ToHashSet();
            var twice = survivorHandled.Intersect(killedHandled).ToList();
            output.WriteLine($"killed instance: {killedHandled.Count} handled, {killedAcked.Count} acknowledged; survivor: {survivorHandled.Count} handled; handled twice: {twice.Count} (all handled but unacknowledged by the killed one: {unacknowledged.Count})");
            Assert.Empty(sent.Except(survivorHandled).Except(killedHandled));
            Assert.Equal(survivorHandled.Count, survivorHandled.Distinct().Count());
            Assert.Equal(killedHandled.Count, killedHandled.Distinct().Count());
            Assert.All(twice, id => Assert.Contains(id, unacknowledged));
            Assert.True(killedHandled.Count < sent.Count, "the killed instance was to be killed before it had handled everything");
            Assert.Equal(0, await dovecot.CountAsync(user, "INBOX"));
            // What the killed one acknowledged stays in its folder; the rest of its claims were taken over into the survivor's.
            Assert.Equal(killedAcked.Count, await dovecot.CountAsync(user, "Processing/w"));
            Assert.Equal(sent.Count - killedAcked.Count, await dovecot.CountAsync(user, "Processing/s"));
        }
        finally
        {
            if (!worker.HasExited)
                worker.Kill();
        }
    }

    /// <summary>The claim keyword of the instance whose claim folder is <paramref name="claimFolder"/> (docs/receiving.md).</summary>
    private static string ClaimKeyword(string claimFolder) =>
        "$MailingClaim" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(claimFolder)), 0, 6);

    private Task<ConcurrentQueue<string>> RunInstancesAsync(string user, int expected, int batchSize, params string[] instances) =>
        RunInstancesAsync(user, expected, batchSize, instances, TimeSpan.FromMinutes(2), handler: null);

    /// <summary>Runs one receiver per instance name until <paramref name="expected"/> messages were handled; returns the Message-IDs handled, with repeats.</summary>
    private async Task<ConcurrentQueue<string>> RunInstancesAsync(string user, int expected, int batchSize, string[] instances, TimeSpan lease, Func<string, Task>? handler)
    {
        var handled = new ConcurrentQueue<string>();
        var providers = instances.Select(name => Build(user, name, batchSize, lease)).ToList();
        try
        {
            using var stop = new CancellationTokenSource(Guard);
            await Task.WhenAll(instances.Select((name, i) => Task.Run(() =>
                HandleUntilAsync(providers[i].GetRequiredService<IMailReceiver>(), handled, () => handled.Count >= expected, name, handler, stop.Token))));
            return handled;
        }
        finally
        {
            foreach (var provider in providers)
                await provider.DisposeAsync();
        }
    }

    /// <summary>Passes, one after another, until <paramref name="done"/> (or the guard fires, which fails the test).</summary>
    private static async Task HandleUntilAsync(IMailReceiver receiver, ConcurrentQueue<string> handled, Func<bool> done, string instance, Func<string, Task>? handler, CancellationToken guard)
    {
        while (!done())
        {
            guard.ThrowIfCancellationRequested();
            var any = false;
            await foreach (var mail in receiver.ReceiveAsync(guard))
            {
                any = true;
                await using (var stream = await mail.OpenReadAsync(guard))
                    handled.Enqueue((await MimeMessage.LoadAsync(stream, guard)).MessageId ?? "");
                if (handler is not null)
                    await handler(instance);
                await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen, guard);
            }

            if (!any)
                await Task.Delay(100, guard);
        }
    }

    private async Task AssertEachHandledOnceAsync(string user, List<string> sent, ConcurrentQueue<string> handled, params string[] instances)
    {
        var twice = handled.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} messages were handled more than once");
        Assert.Equal(sent.Order(), handled.Order());
        Assert.Equal(0, await dovecot.CountAsync(user, "INBOX"));
        var inClaimFolders = 0;
        foreach (var instance in instances)
            inClaimFolders += await dovecot.CountAsync(user, $"Processing/{instance}");
        Assert.Equal(sent.Count, inClaimFolders);
    }

    private ServiceProvider Build(string user, string instance, int batchSize, TimeSpan lease)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new TestOutputLogger(output, instance, LogLevel.Debug)));
        services.AddMailing().AddImapReceiver(
            o =>
            {
                o.Host = dovecot.Host;
                o.Port = dovecot.ImapPort;
                o.UserName = user;
                o.Password = DovecotFixture.Password;
                o.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
                o.CheckCertificateRevocation = false;
            },
            r =>
            {
                r.ClaimFolder = $"Processing/{instance}";
                r.BatchSize = batchSize;
                r.ClaimLease = lease;
                r.StateFilePath = Path.Combine(stateFolder, $"{instance}.json");
                r.ReconnectBaseDelay = TimeSpan.FromMilliseconds(100);
                r.ReconnectMaxDelay = TimeSpan.FromSeconds(1);
            });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>Starts tests/Mailing.Toolkit.ClaimWorker as a child process (built next to this test project).</summary>
    private Process StartWorker(string user, string claimFolder, TimeSpan lease, int batchSize, TimeSpan handlerDelay)
    {
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("Mailing.Toolkit.IntegrationTests", "Mailing.Toolkit.ClaimWorker", StringComparison.Ordinal), "Mailing.Toolkit.ClaimWorker.dll");
        Assert.True(File.Exists(dll), $"The claim worker is not built: {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            dll, dovecot.Host, dovecot.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture), user, DovecotFixture.Password,
            Path.Combine(dovecot.Root, "cert.pem"), claimFolder, Path.Combine(stateFolder, "worker.json"),
            ((int)lease.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ((int)handlerDelay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }
}
