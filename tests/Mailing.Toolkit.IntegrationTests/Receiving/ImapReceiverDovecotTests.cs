using System.Collections.Concurrent;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Receiving;

/// <summary>
/// The IMAP receiver against a real Dovecot: IDLE and polling, position across restarts, UIDVALIDITY resync,
/// reconnects after kicks, dispositions, large bodies, a claim folder across restarts (several instances: <see cref="ImapClaimTests"/>).
/// </summary>
[Collection(DovecotFixture.Collection)]
public sealed class ImapReceiverDovecotTests(DovecotFixture dovecot) : IDisposable
{
    /// <summary>Long enough never to fire in a passing test; the guard only turns a hang into a failure.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    private readonly string stateFolder = Path.Combine(Path.GetTempPath(), "mailing-imap-state-" + Guid.NewGuid().ToString("N"));

    private string StateFile => Path.Combine(stateFolder, "state.json");

    public void Dispose()
    {
        if (Directory.Exists(stateFolder))
            Directory.Delete(stateFolder, recursive: true);
    }

    [SkippableFact]
    public async Task WaitForArrivalAsync_Idle_AppendByAnotherConnectionEndsTheWaitAndIsReceived()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await using var provider = Build(user);
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var notifier = provider.GetRequiredService<IMailArrivalNotifier>();
        Assert.Empty(await ListAsync(receiver));
        // A short wait opens the IDLE connection and selects the folder; the next wait reuses it.
        await notifier.WaitForArrivalAsync(TimeSpan.FromMilliseconds(500));

        var waiting = notifier.WaitForArrivalAsync(TimeSpan.FromMinutes(30));
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);
        var sent = await AppendAsync(user, "INBOX", "arrived");
        var finished = await Task.WhenAny(waiting, Task.Delay(Guard));

        Assert.Same(waiting, finished);
        await waiting;
        var mail = Assert.Single(await ListAsync(receiver));
        Assert.Equal(sent[0].MessageId, (await LoadAsync(mail)).MessageId);
    }

    [SkippableFact]
    public async Task WaitForArrivalAsync_IdleReissuedSeveralTimes_StillSeesTheArrival()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await using var provider = Build(user, configureReceiver: r => r.IdleRestartInterval = TimeSpan.FromSeconds(1));
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var notifier = provider.GetRequiredService<IMailArrivalNotifier>();
        Assert.Empty(await ListAsync(receiver));
        await notifier.WaitForArrivalAsync(TimeSpan.FromMilliseconds(500));

        var waiting = notifier.WaitForArrivalAsync(Timeout.InfiniteTimeSpan);
        await Task.Delay(TimeSpan.FromSeconds(3)); // about three IDLE commands, each ended with DONE and re-issued
        Assert.False(waiting.IsCompleted);
        await AppendAsync(user, "INBOX", "late");

        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(Guard)));
        Assert.Equal(["late"], await SubjectsAsync(await ListAsync(receiver)));
    }

    [SkippableFact]
    public async Task WaitForArrivalAsync_Polling_ReturnsAfterThePollIntervalAndTheMessageIsReceived()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await using var provider = Build(user, configureReceiver: r =>
        {
            r.UseIdle = false;
            r.PollInterval = TimeSpan.FromMilliseconds(200);
        });
        var receiver = provider.GetRequiredService<IMailReceiver>();
        Assert.Empty(await ListAsync(receiver));
        await AppendAsync(user, "INBOX", "polled");

        var waiting = provider.GetRequiredService<IMailArrivalNotifier>().WaitForArrivalAsync(Timeout.InfiniteTimeSpan);

        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(Guard)));
        Assert.Equal(["polled"], await SubjectsAsync(await ListAsync(receiver)));
    }

    [SkippableFact]
    public async Task ReceiveAsync_RestartWithTheSameStateFile_ResumesWithoutRepeatingOrSkipping()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "one", "two", "three", "four");

        await using (var first = Build(user))
        {
            var receiver = first.GetRequiredService<IMailReceiver>();
            var mails = await ListAsync(receiver);
            Assert.Equal(["one", "two", "three", "four"], await SubjectsAsync(mails));
            // "two" fails (never acknowledged); "three" is acknowledged before it, out of order.
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.MarkSeen);
        }

        await AppendAsync(user, "INBOX", "five");
        await using var second = Build(user);
        var again = await ListAsync(second.GetRequiredService<IMailReceiver>());

        Assert.Equal(["two", "four", "five"], await SubjectsAsync(again));
        foreach (var mail in again)
            await second.GetRequiredService<IMailReceiver>().AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        Assert.Empty(await ListAsync(second.GetRequiredService<IMailReceiver>()));
        Assert.Equal(5, await dovecot.CountAsync(user, "INBOX", seenOnly: true));
    }

    [SkippableFact]
    public async Task ReceiveAsync_BodiesArePeeked_UnacknowledgedMessagesStayUnseen()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "a", "b");
        await using var provider = Build(user, configureReceiver: r => r.BatchSize = 1);

        var mails = await ListAsync(provider.GetRequiredService<IMailReceiver>());

        Assert.Equal(["a", "b"], await SubjectsAsync(mails));
        Assert.Equal(0, await dovecot.CountAsync(user, "INBOX", seenOnly: true));
        Assert.All(mails, mail => Assert.Matches("^[0-9]+:[0-9]+$", mail.Id));
        Assert.All(mails, mail => Assert.Equal($"imap://{user}@{dovecot.Host}:{dovecot.ImapPort}/INBOX", mail.Mailbox));
    }

    [SkippableFact]
    public async Task ReceiveAsync_FolderDeletedAndRecreated_ResyncsHandingTheUnseenOnly()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await CreateFolderAsync(user, "Support");
        await AppendAsync(user, "Support", "old one", "old two", "old three");
        await using var provider = Build(user, configureReceiver: r => r.Folder = "Support");
        var receiver = provider.GetRequiredService<IMailReceiver>();
        foreach (var mail in await ListAsync(receiver))
            await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);

        // The new folder numbers its messages from 1 again, below the old position: without a resync they would be skipped.
        await DeleteFolderAsync(user, "Support");
        await CreateFolderAsync(user, "Support");
        await AppendAsync(user, "Support", MessageFlags.Seen, "read by a person");
        await AppendAsync(user, "Support", "new one", "new two");
        var after = await ListAsync(receiver);

        Assert.Equal(["new one", "new two"], await SubjectsAsync(after));
    }

    [SkippableFact]
    public async Task ReceiveAsync_UidValidityForcedByDoveadm_HandsWhatWasNotHandledOnce()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "handled", "failed");
        await using var provider = Build(user);
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var first = await ListAsync(receiver);
        await receiver.AcknowledgeAsync(first[0], MailDisposition.MarkSeen);

        await dovecot.DoveadmAsync("mailbox", "update", "-u", user, "--uid-validity", "424242", "INBOX");
        var after = await ListAsync(receiver);

        var mail = Assert.Single(after);
        Assert.Equal("failed", await SubjectAsync(mail));
        Assert.StartsWith("424242:", mail.Id, StringComparison.Ordinal);
        await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        Assert.Empty(await ListAsync(receiver));
    }

    [SkippableFact]
    public async Task AcknowledgeAsync_MoveAndDelete_ActOnTheServer()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "move me", "delete me", "see me");
        await using var provider = Build(user);
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var mails = await ListAsync(receiver);
        await receiver.AcknowledgeAsync(mails[0], MailDisposition.MoveTo("Archive/Done"));
        await receiver.AcknowledgeAsync(mails[1], MailDisposition.Delete);
        await receiver.AcknowledgeAsync(mails[2], MailDisposition.MarkSeen);

        Assert.Equal(1, await dovecot.CountAsync(user, "INBOX"));
        Assert.Equal(1, await dovecot.CountAsync(user, "INBOX", seenOnly: true));
        Assert.Equal(1, await dovecot.CountAsync(user, "Archive/Done"));
        Assert.Empty(await ListAsync(receiver));
    }

    [SkippableFact]
    public async Task OpenReadAsync_BodyAboveThePrefetchLimit_IsStreamedIdentically()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        var large = Message(user, "large");
        var attachment = new byte[3 * 1024 * 1024 + 17];
        new Random(4).NextBytes(attachment);
        var body = new BodyBuilder { TextBody = "see attachment" };
        body.Attachments.Add("data.bin", attachment);
        large.Body = body.ToMessageBody();
        await AppendAsync(user, "INBOX", MessageFlags.None, large);
        await using var provider = Build(user, configureReceiver: r => r.MaxPrefetchSize = 64 * 1024);

        var mail = Assert.Single(await ListAsync(provider.GetRequiredService<IMailReceiver>()));
        using var received = new MemoryStream();
        await using (var stream = await mail.OpenReadAsync())
            await stream.CopyToAsync(received);
        using var original = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos; // as MailKit appends it
        await large.WriteToAsync(format, original);

        Assert.Equal(mail.Size, received.Length);
        Assert.True(original.ToArray().AsSpan().SequenceEqual(received.ToArray()));
    }

    [SkippableFact]
    public async Task ReceiveAsync_BatchOverItsPrefetchBudget_FetchesTheRestWhenOpenedAndLosesNothing()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "one", "two", "three", "four", "five", "six");
        var wire = new ImapWireCapture();
        // A budget of one byte: only the first body of the batch comes with it, the other five are fetched when opened.
        await using var provider = Build(user, configureReceiver: r => (r.BatchSize, r.MaxPrefetchBatchBytes) = (10, 1), wire: wire);

        var mails = await ListAsync(provider.GetRequiredService<IMailReceiver>());
        var fetchedWithTheBatch = wire.ClientLines.Count(line => line.Contains("BODY.PEEK[]", StringComparison.Ordinal) && !line.Contains("BODY.PEEK[]<", StringComparison.Ordinal));
        var partialBefore = wire.ClientLines.Count(line => line.Contains("BODY.PEEK[]<", StringComparison.Ordinal));
        var subjects = await SubjectsAsync(mails);

        Assert.Equal(["one", "two", "three", "four", "five", "six"], subjects);
        Assert.Equal(1, fetchedWithTheBatch);
        Assert.Equal(0, partialBefore);
        Assert.Equal(5, wire.ClientLines.Count(line => line.Contains("BODY.PEEK[]<", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task ReceiveAsync_ConnectionKickedMidPass_ReconnectsWithoutLosingOrDoubling()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        var sent = await dovecot.AppendManyAsync(user, 120);
        await using var provider = Build(user, configureReceiver: r => r.BatchSize = 25);
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var handled = new List<string>();

        var count = 0;
        await foreach (var mail in receiver.ReceiveAsync())
        {
            handled.Add((await LoadAsync(mail)).MessageId ?? "");
            await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
            if (++count is 10 or 60)
                await dovecot.KickAsync(user); // between acknowledgements and, at 60, with batches still to fetch
        }

        Assert.Equal(sent.Order(), handled.Order());
        Assert.Empty(await ListAsync(receiver));
    }

    [SkippableFact]
    public async Task WaitForArrivalAsync_ConnectionKickedMidIdle_ReturnsAndTheNextWaitSeesNewMail()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await using var provider = Build(user);
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var notifier = provider.GetRequiredService<IMailArrivalNotifier>();
        Assert.Empty(await ListAsync(receiver));
        await notifier.WaitForArrivalAsync(TimeSpan.FromMilliseconds(500));

        var waiting = notifier.WaitForArrivalAsync(TimeSpan.FromMinutes(30));
        await Task.Delay(500);
        await dovecot.KickAsync(user);
        Assert.Same(waiting, await Task.WhenAny(waiting, Task.Delay(Guard)));
        await waiting;
        var sent = await AppendAsync(user, "INBOX", "after the kick");
        var next = notifier.WaitForArrivalAsync(TimeSpan.FromMinutes(30));
        Assert.Same(next, await Task.WhenAny(next, Task.Delay(Guard)));

        var mail = Assert.Single(await ListAsync(receiver));
        Assert.Equal(sent[0].MessageId, (await LoadAsync(mail)).MessageId);
    }

    [SkippableFact]
    public async Task ReceiveAsync_ClaimedButNotAcknowledged_IsHandedAgainByTheSameInstanceAfterARestart()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "claimed", "handled");
        void Claim(ImapReceiverOptions r) => (r.ClaimFolder, r.BatchSize) = ("Processing/a", 1);

        await using (var first = Build(user, configureReceiver: Claim))
        {
            var receiver = first.GetRequiredService<IMailReceiver>();
            var mails = await ListAsync(receiver);
            Assert.Equal(["claimed", "handled"], await SubjectsAsync(mails));
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.Delete);
        }

        await using var second = Build(user, configureReceiver: Claim);
        Assert.Equal(["claimed"], await SubjectsAsync(await ListAsync(second.GetRequiredService<IMailReceiver>())));
        Assert.Equal(1, await dovecot.CountAsync(user, "Processing/a"));
    }

    [SkippableFact]
    public async Task AddImapReceiver_FolderWithLineBreak_IsRejectedBeforeAnythingReachesTheServer()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("imap");
        await AppendAsync(user, "INBOX", "keep");
        await using var provider = Build(user, configureReceiver: r => r.Folder = "INBOX\r\nA1 DELETE INBOX");

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailReceiver>());

        Assert.Contains("Mailing:Imap:Receiver:Folder", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MailDisposition.MoveTo("Done\r\nA2 LOGOUT"));
        Assert.Equal(1, await dovecot.CountAsync(user, "INBOX"));
    }

    private ServiceProvider Build(string user, Action<ImapOptions>? configure = null, Action<ImapReceiverOptions>? configureReceiver = null, ImapWireCapture? wire = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (wire is not null)
                b.SetMinimumLevel(LogLevel.Trace).AddProvider(wire);
        });
        services.AddMailing().AddImapReceiver(
            o =>
            {
                o.Host = dovecot.Host;
                o.Port = dovecot.ImapPort; // Auto: required STARTTLS
                o.UserName = user;
                o.Password = DovecotFixture.Password;
                o.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
                o.CheckCertificateRevocation = false;
                configure?.Invoke(o);
            },
            r =>
            {
                r.StateFilePath = StateFile;
                r.ReconnectBaseDelay = TimeSpan.FromMilliseconds(100);
                r.ReconnectMaxDelay = TimeSpan.FromSeconds(1);
                configureReceiver?.Invoke(r);
            });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private static MimeMessage Message(string user, string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.test") };
        message.From.Add(MailboxAddress.Parse("sender@example.test"));
        message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}" };
        return message;
    }

    private Task<List<MimeMessage>> AppendAsync(string user, string folder, params string[] subjects) =>
        AppendAsync(user, folder, MessageFlags.None, subjects.Select(subject => Message(user, subject)).ToArray());

    private Task<List<MimeMessage>> AppendAsync(string user, string folder, MessageFlags flags, params string[] subjects) =>
        AppendAsync(user, folder, flags, subjects.Select(subject => Message(user, subject)).ToArray());

    private async Task<List<MimeMessage>> AppendAsync(string user, string folder, MessageFlags flags, params MimeMessage[] messages)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        var target = await imap.GetFolderAsync(folder);
        foreach (var message in messages)
            await target.AppendAsync(new AppendRequest(message, flags));
        await imap.DisconnectAsync(quit: true);
        return [.. messages];
    }

    private async Task CreateFolderAsync(string user, string name)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync(name, isMessageFolder: true);
        await imap.DisconnectAsync(quit: true);
    }

    private async Task DeleteFolderAsync(string user, string name)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        await (await imap.GetFolderAsync(name)).DeleteAsync();
        await imap.DisconnectAsync(quit: true);
    }

    private static async Task<List<ReceivedMail>> ListAsync(IMailReceiver receiver)
    {
        var mails = new List<ReceivedMail>();
        await foreach (var mail in receiver.ReceiveAsync())
            mails.Add(mail);
        return mails;
    }

    private static async Task<MimeMessage> LoadAsync(ReceivedMail mail)
    {
        await using var stream = await mail.OpenReadAsync();
        return await MimeMessage.LoadAsync(stream);
    }

    private static async Task<string> SubjectAsync(ReceivedMail mail) => (await LoadAsync(mail)).Subject ?? "";

    private static async Task<List<string>> SubjectsAsync(IEnumerable<ReceivedMail> mails)
    {
        var subjects = new List<string>();
        foreach (var mail in mails)
            subjects.Add(await SubjectAsync(mail));
        return subjects;
    }
}
