using System.Collections.Concurrent;
using MailKit.Security;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Mailboxes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Mailboxes;

/// <summary>The IMAP mailbox manager against a real Dovecot: folders, special use, ACL, quota, messages, injection, concurrency.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class MailboxManagerDovecotTests(DovecotFixture dovecot)
{
    [SkippableFact]
    public async Task Folders_CreateNestedRenameSubscribeDelete_ListShowsEachStep()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("folders"));
        var manager = provider.GetRequiredService<IMailboxManager>();

        var created = await manager.CreateFolderAsync("Clients/Acme/2026");
        var again = await manager.CreateFolderAsync("Clients/Acme/2026");
        var afterCreate = Names(await manager.ListFoldersAsync());
        await manager.RenameFolderAsync("Clients/Acme", "Archive/Customers/Acme");
        var afterRename = Names(await manager.ListFoldersAsync());
        await manager.SetSubscribedAsync("Archive/Customers/Acme/2026", true);
        var subscribed = Names(await manager.ListFoldersAsync(subscribedOnly: true));
        var listedAll = (await manager.ListFoldersAsync()).ToDictionary(f => f.FullName);
        await manager.SetSubscribedAsync("Archive/Customers/Acme/2026", false);
        var unsubscribed = Names(await manager.ListFoldersAsync(subscribedOnly: true));
        await manager.DeleteFolderAsync("Archive/Customers/Acme/2026");
        var afterDelete = Names(await manager.ListFoldersAsync());

        Assert.Equal("Clients/Acme/2026", created.FullName);
        Assert.Equal(created.UidValidity, again.UidValidity);
        Assert.Contains("Clients", afterCreate);
        Assert.Contains("Clients/Acme", afterCreate);
        Assert.Contains("Clients/Acme/2026", afterCreate);
        Assert.Contains("Archive/Customers/Acme/2026", afterRename);
        Assert.DoesNotContain("Clients/Acme", afterRename);
        Assert.Contains("Archive/Customers/Acme/2026", subscribed);
        Assert.True(listedAll["Archive/Customers/Acme/2026"].IsSubscribed);
        Assert.False(listedAll["Archive/Customers/Acme"].IsSubscribed);
        Assert.DoesNotContain("Archive/Customers/Acme/2026", unsubscribed);
        Assert.DoesNotContain("Archive/Customers/Acme/2026", afterDelete);
        Assert.Contains("Archive/Customers/Acme", afterDelete);
    }

    [SkippableFact]
    public async Task ListFolders_SpecialUseAndStatus_AreReported()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("special"));
        var manager = provider.GetRequiredService<IMailboxManager>();
        foreach (var name in new[] { "Sent", "Drafts", "Trash", "Junk", "Archive", "Plain" })
            await manager.CreateFolderAsync(name);
        await manager.AppendAsync("Sent", Message("one"), MailFlags.Seen);
        var second = await manager.AppendAsync("Sent", Message("two"));

        var folders = (await manager.ListFoldersAsync()).ToDictionary(f => f.FullName);

        Assert.Equal(MailFolderUse.Inbox, folders["INBOX"].SpecialUse);
        Assert.Equal(MailFolderUse.Sent, folders["Sent"].SpecialUse);
        Assert.Equal(MailFolderUse.Drafts, folders["Drafts"].SpecialUse);
        Assert.Equal(MailFolderUse.Trash, folders["Trash"].SpecialUse);
        Assert.Equal(MailFolderUse.Junk, folders["Junk"].SpecialUse);
        Assert.Equal(MailFolderUse.Archive, folders["Archive"].SpecialUse);
        Assert.Equal(MailFolderUse.None, folders["Plain"].SpecialUse);
        var sent = folders["Sent"];
        Assert.Equal(2, sent.Messages);
        Assert.Equal(1, sent.Unseen);
        Assert.Equal(second + 1, sent.UidNext);
        Assert.NotEqual(0u, sent.UidValidity);
        Assert.Equal(0, folders["Plain"].Messages);
    }

    [SkippableFact]
    public async Task NonAsciiFolderNames_RoundTripThroughCreateListAppendAndSearch()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("utf");
        await using var provider = Build(user);
        var manager = provider.GetRequiredService<IMailboxManager>();

        await manager.CreateFolderAsync("Zażółć/Łódź");
        await manager.CreateFolderAsync("日本語");
        var uid = await manager.AppendAsync("Zażółć/Łódź", Message("gęślą jaźń"));
        var found = await manager.SearchAsync("Zażółć/Łódź", MailSearch.Subject("gęślą"));
        var names = Names(await manager.ListFoldersAsync());
        var onDisk = await dovecot.DoveadmAsync("mailbox", "list", "-u", user);

        Assert.Contains("Zażółć", names);
        Assert.Contains("Zażółć/Łódź", names);
        Assert.Contains("日本語", names);
        Assert.Equal([uid!.Value], found);
        Assert.Contains("Zażółć/Łódź", onDisk, StringComparison.Ordinal);
        Assert.Contains("日本語", onDisk, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AccessRights_AliceGrantsBobLookupRead_BobSeesTheFolderWithExactlyThoseRights()
    {
        dovecot.EnsureAvailable();
        var alice = dovecot.CreateUser("alice");
        var bob = dovecot.CreateUser("bob");
        await using var aliceProvider = Build(alice);
        await using var bobProvider = Build(bob);
        var aliceManager = aliceProvider.GetRequiredService<IMailboxManager>();
        var bobManager = bobProvider.GetRequiredService<IMailboxManager>();
        await aliceManager.CreateFolderAsync("Projects");
        var uid = await aliceManager.AppendAsync("Projects", Message("plan"));

        await aliceManager.SetAccessRightsAsync("Projects", bob, "lr");
        var acl = await aliceManager.GetAccessRightsAsync("Projects");
        var shared = $"shared/{alice}/Projects";
        var bobSees = Names(await bobManager.ListFoldersAsync());
        var bobRights = await bobManager.GetMyRightsAsync(shared);
        var bobFinds = await bobManager.SearchAsync(shared, MailSearch.Subject("plan"));
        var bobAppend = await Assert.ThrowsAsync<MailboxException>(() => bobManager.AppendAsync(shared, Message("not allowed")));
        var aliceRights = await aliceManager.GetMyRightsAsync("Projects");
        await aliceManager.RemoveAccessRightsAsync("Projects", bob);
        var aclAfterRemove = await aliceManager.GetAccessRightsAsync("Projects");

        Assert.Contains(new MailAccessEntry(bob, "lr"), acl);
        Assert.Contains(shared, bobSees);
        Assert.Equal("lr", bobRights);
        Assert.Equal([uid!.Value], bobFinds);
        Assert.Equal(shared, bobAppend.Folder);
        Assert.NotNull(bobAppend.ServerResponse);
        Assert.Contains("a", aliceRights, StringComparison.Ordinal); // the owner administers the folder
        Assert.DoesNotContain(aclAfterRemove, e => e.Identifier == bob);
    }

    [SkippableFact]
    public async Task Quota_UsageReported_OverQuotaAppendThrowsAClearException()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("quota", storageQuota: "1M"));
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.AppendAsync("INBOX", Message("small"));

        var quota = await manager.GetQuotaAsync("INBOX");
        var big = Message("big");
        big.Body = new TextPart("plain") { Text = new string('x', 1_500_000) };
        var ex = await Assert.ThrowsAsync<MailboxQuotaExceededException>(() => manager.AppendAsync("INBOX", big));
        var after = await manager.SearchAsync("INBOX", MailSearch.All);

        Assert.Equal("User quota", quota.Root);
        Assert.Equal(1024, quota.StorageLimitKilobytes);
        Assert.InRange(quota.StorageUsedKilobytes ?? 0, 1, 10);
        Assert.Equal("INBOX", ex.Folder);
        Assert.NotNull(ex.Quota);
        Assert.Equal(1024, ex.Quota!.StorageLimitKilobytes);
        Assert.Contains("'INBOX'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("quota", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("of 1024 KiB used", ex.Message, StringComparison.Ordinal);
        Assert.Single(after);
    }

    [SkippableFact]
    public async Task Messages_AppendSearchFlagCopyMoveDelete_ChangeTheServerState()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("messages"));
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.CreateFolderAsync("Work");
        await manager.CreateFolderAsync("Done");
        var invoice = (await manager.AppendAsync("Work", Message("Invoice 42", from: "billing@vendor.test")))!.Value;
        var hello = (await manager.AppendAsync("Work", Message("Hello", body: "the magic word is quince")))!.Value;
        var spam = (await manager.AppendAsync("Work", Message("Cheap pills")))!.Value;

        var bySubject = await manager.SearchAsync("Work", MailSearch.Subject("invoice"));
        var byFrom = await manager.SearchAsync("Work", MailSearch.From("vendor.test"));
        var byBody = await manager.SearchAsync("Work", MailSearch.Body("quince"));
        var combined = await manager.SearchAsync("Work", MailSearch.Subject("Hello").Or(MailSearch.Subject("Cheap")).And(MailSearch.Unseen));
        await manager.SetFlagsAsync("Work", [invoice, hello], MailFlags.Seen | MailFlags.Flagged, add: true);
        await manager.SetFlagsAsync("Work", [hello], MailFlags.Flagged, add: false);
        var unseen = await manager.SearchAsync("Work", MailSearch.Unseen);
        var flagged = await manager.SearchAsync("Work", MailSearch.WithFlags(MailFlags.Flagged));
        var copies = await manager.CopyAsync("Work", [invoice], "Done");
        var moved = await manager.MoveAsync("Work", [hello], "Done");
        var inWork = await manager.SearchAsync("Work", MailSearch.All);
        var inDone = await manager.SearchAsync("Done", MailSearch.All);
        var seenInDone = await manager.SearchAsync("Done", MailSearch.WithFlags(MailFlags.Seen));
        await manager.DeleteMessagesAsync("Work", [spam]);
        var workAfterDelete = await manager.SearchAsync("Work", MailSearch.All);
        var deletedNotExpunged = await manager.AppendAsync("Work", Message("keep for now"));
        await manager.DeleteMessagesAsync("Work", [deletedNotExpunged!.Value], expunge: false);
        var markedDeleted = await manager.SearchAsync("Work", MailSearch.WithFlags(MailFlags.Deleted));

        Assert.Equal([invoice], bySubject);
        Assert.Equal([invoice], byFrom);
        Assert.Equal([hello], byBody);
        Assert.Equal([hello, spam], combined);
        Assert.Equal([spam], unseen);
        Assert.Equal([invoice], flagged);
        Assert.Equal(invoice, Assert.Single(copies).Key);
        Assert.Equal(hello, Assert.Single(moved).Key);
        Assert.Equal([invoice, spam], inWork);
        Assert.Equal(copies.Values.Concat(moved.Values).Order(), inDone.Order());
        Assert.Equal(2, seenInDone.Count);
        Assert.Equal([invoice], workAfterDelete);
        Assert.Equal([deletedNotExpunged.Value], markedDeleted);
    }

    [SkippableFact]
    public async Task FolderNames_WithCrLfOrNul_AreRejectedAndNothingReachesTheServer()
    {
        dovecot.EnsureAvailable();
        var wire = new ImapWireCapture();
        await using var provider = Build(dovecot.CreateUser("inject"), wire);
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.CreateFolderAsync("Safe");
        var commandsBefore = wire.ClientLines.Length;

        var create = await Assert.ThrowsAsync<ArgumentException>(() => manager.CreateFolderAsync("x\r\nA1 CREATE Evil"));
        var rename = await Assert.ThrowsAsync<ArgumentException>(() => manager.RenameFolderAsync("Safe", "y\nA2 CREATE Evil"));
        var delete = await Assert.ThrowsAsync<ArgumentException>(() => manager.DeleteFolderAsync("Safe\0"));
        var acl = await Assert.ThrowsAsync<ArgumentException>(() => manager.SetAccessRightsAsync("Safe", "bob\r\nA3 CREATE Evil", "lr"));
        var rights = await Assert.ThrowsAsync<ArgumentException>(() => manager.SetAccessRightsAsync("Safe", "bob", "lr\r\nA4 CREATE Evil"));
        var wildcard = await Assert.ThrowsAsync<ArgumentException>(() => manager.DeleteFolderAsync("S*"));
        var commandsAfter = wire.ClientLines.Length;
        var names = Names(await manager.ListFoldersAsync());

        Assert.Equal("name", create.ParamName);
        Assert.Equal("newName", rename.ParamName);
        Assert.Equal("name", delete.ParamName);
        Assert.Equal("identifier", acl.ParamName);
        Assert.Equal("rights", rights.ParamName);
        Assert.Equal("name", wildcard.ParamName);
        Assert.Equal(commandsBefore, commandsAfter);
        Assert.Contains("Safe", names);
        Assert.DoesNotContain(names, n => n.Contains("Evil", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task SearchValues_WithCrLfOrQuotes_NeverBecomeAnExtraCommand()
    {
        dovecot.EnsureAvailable();
        var wire = new ImapWireCapture();
        await using var provider = Build(dovecot.CreateUser("searchinject"), wire);
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.AppendAsync("INBOX", Message("harmless"));

        Assert.Throws<ArgumentException>(() => MailSearch.Subject("x\r\nA1 CREATE Evil1"));
        // Records built directly skip the factory's check; the manager checks again before anything is sent.
        var sentBefore = wire.ClientLines.Length;
        var direct = await Assert.ThrowsAsync<ArgumentException>(() =>
            manager.SearchAsync("INBOX", new MailSearch.HeaderSearch("Subject", "x\r\nA2 CREATE Evil2")));
        var viaWith = await Assert.ThrowsAsync<ArgumentException>(() =>
            manager.SearchAsync("INBOX", new MailSearch.BodySearch("ok", false) with { Text = "y\nA3 CREATE Evil3" }));
        var badHeader = await Assert.ThrowsAsync<ArgumentException>(() =>
            manager.SearchAsync("INBOX", new MailSearch.HeaderSearch("X-A\r\nA4 CREATE Evil4", "v")));
        var sentAfterRejections = wire.ClientLines.Length;
        // Quotes, parentheses and a fake tagged command without a line break: one quoted string, matching nothing.
        var quoted = await manager.SearchAsync("INBOX", MailSearch.Subject("x\") A5 CREATE Evil5 (\""));
        var names = Names(await manager.ListFoldersAsync());

        Assert.Equal("query", direct.ParamName);
        Assert.Equal("query", viaWith.ParamName);
        Assert.Equal("query", badHeader.ParamName);
        Assert.Equal(sentBefore, sentAfterRejections);
        Assert.Empty(quoted);
        Assert.DoesNotContain(names, n => n.Contains("Evil", StringComparison.Ordinal));
        Assert.DoesNotContain(wire.ClientLines, line => line.StartsWith("A5 ", StringComparison.Ordinal) || line.Contains("\nA5 CREATE", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task ManyParallelCalls_OnOneManager_AllSucceed()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("parallel"));
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.CreateFolderAsync("Batch");

        var appends = Enumerable.Range(0, 30).Select(i => manager.AppendAsync("Batch", Message($"parallel {i}"))).ToArray();
        var reads = Enumerable.Range(0, 30).Select(i => (i % 3) switch
        {
            0 => (Task)manager.ListFoldersAsync(),
            1 => manager.GetQuotaAsync("Batch"),
            _ => manager.SearchAsync("Batch", MailSearch.Subject("parallel")),
        });
        await Task.WhenAll(appends.Cast<Task>().Concat(reads));
        var all = await manager.SearchAsync("Batch", MailSearch.Subject("parallel"));

        Assert.Equal(30, appends.Select(t => t.Result).Distinct().Count());
        Assert.Equal(30, all.Count);
    }

    [SkippableFact]
    public async Task ConnectionKicked_NextCallReconnects()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("kick");
        await using var provider = Build(user);
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.CreateFolderAsync("Before");

        await dovecot.KickAsync(user);
        var names = Names(await manager.ListFoldersAsync());
        await dovecot.KickAsync(user);
        await manager.CreateFolderAsync("After");

        Assert.Contains("Before", names);
        Assert.Contains("After", Names(await manager.ListFoldersAsync()));
    }

    [SkippableFact]
    public async Task ConnectionKickedWhileIdle_CopyAfterAMinuteSucceedsBecauseTheConnectionIsCheckedFirst()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("idle");
        var clock = new ManualTimeProvider();
        await using var provider = Build(user, time: clock);
        var manager = provider.GetRequiredService<IMailboxManager>();
        await manager.CreateFolderAsync("Copies");
        var uid = (await manager.AppendAsync("INBOX", Message("copy me")))!.Value;
        await manager.SearchAsync("INBOX", MailSearch.All);

        await dovecot.KickAsync(user);
        clock.Advance(TimeSpan.FromMinutes(2));
        // A copy is never retried (it could duplicate), so it only succeeds if the dead connection is noticed before it runs.
        var copies = await manager.CopyAsync("INBOX", [uid], "Copies");

        Assert.Single(copies);
        Assert.Single(await manager.SearchAsync("Copies", MailSearch.All));
    }

    [SkippableFact]
    public async Task ProtocolLog_MasksCredentialsAndMessageContent()
    {
        dovecot.EnsureAvailable();
        var wire = new ImapWireCapture();
        var user = dovecot.CreateUser("wire");
        await using var provider = Build(user, wire);
        var manager = provider.GetRequiredService<IMailboxManager>();

        await manager.AppendAsync("INBOX", Message("logged subject", body: "confidential-body-text"));

        var text = string.Join("\n", wire.ClientLines.Concat(wire.ServerLines));
        var plainSecret = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user}\0{DovecotFixture.Password}"));
        Assert.Contains("STARTTLS", text, StringComparison.Ordinal);
        Assert.Contains("AUTHENTICATE", text, StringComparison.Ordinal);
        Assert.Contains("APPEND", text, StringComparison.Ordinal);
        Assert.DoesNotContain(plainSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(DovecotFixture.Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("confidential-body-text", text, StringComparison.Ordinal);
        Assert.Contains("<literal: ", text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task WrongPassword_ThrowsMailboxExceptionNamingTheServer()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("wrong"), configure: o => o.Password = "not-the-password");

        var ex = await Assert.ThrowsAsync<MailboxException>(() => provider.GetRequiredService<IMailboxManager>().ListFoldersAsync());

        Assert.Contains($"{dovecot.Host}:{dovecot.ImapPort}", ex.Message, StringComparison.Ordinal);
        Assert.IsType<AuthenticationException>(ex.InnerException);
        Assert.DoesNotContain("not-the-password", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task DefaultCertificateValidation_SelfSignedServer_IsRefused()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("tls"), configure: o => o.ServerCertificateValidationCallback = null);

        var ex = await Assert.ThrowsAsync<MailboxException>(() => provider.GetRequiredService<IMailboxManager>().ListFoldersAsync());

        Assert.IsType<SslHandshakeException>(ex.InnerException);
    }

    [SkippableFact]
    public async Task DangerousAcceptAnyServerCertificate_SelfSignedServer_ConnectsAndWarns()
    {
        dovecot.EnsureAvailable();
        var logs = new ImapWireCapture();
        await using var provider = Build(dovecot.CreateUser("devtls"), logs, o =>
        {
            o.ServerCertificateValidationCallback = null;
            o.DangerousAcceptAnyServerCertificate = true;
        });

        var folders = await provider.GetRequiredService<IMailboxManager>().ListFoldersAsync();

        Assert.Contains(folders, f => f.FullName == "INBOX");
        Assert.Contains(3001, logs.WarningEvents); // when the manager is created
        Assert.Contains(3002, logs.WarningEvents); // each time an invalid certificate is accepted
    }

    [SkippableFact]
    public async Task MissingFolder_ThrowsMailboxExceptionNamingIt()
    {
        dovecot.EnsureAvailable();
        await using var provider = Build(dovecot.CreateUser("missing"));
        var manager = provider.GetRequiredService<IMailboxManager>();

        var ex = await Assert.ThrowsAsync<MailboxException>(() => manager.DeleteFolderAsync("Nope/Nothing"));

        Assert.Equal("Nope/Nothing", ex.Folder);
        Assert.Contains("'Nope/Nothing' does not exist", ex.Message, StringComparison.Ordinal);
    }

    private static HashSet<string> Names(IEnumerable<MailFolderInfo> folders) => folders.Select(f => f.FullName).ToHashSet(StringComparer.Ordinal);

    private static MimeMessage Message(string subject, string from = "sender@example.test", string body = "hello")
    {
        var message = new MimeMessage { Subject = subject };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("box@example.test"));
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    private ServiceProvider Build(string user, ImapWireCapture? wire = null, Action<ImapOptions>? configure = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
            services.AddSingleton(time);
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (wire is not null)
                b.AddProvider(wire);
        });
        services.AddMailing().AddMailboxManager(o =>
        {
            o.Host = dovecot.Host;
            o.Port = dovecot.ImapPort; // Security stays Auto: required STARTTLS on a port other than 993
            o.UserName = user;
            o.Password = DovecotFixture.Password;
            o.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
            o.CheckCertificateRevocation = false;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualTimeProvider : TimeProvider
    {
        private long ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }
}
