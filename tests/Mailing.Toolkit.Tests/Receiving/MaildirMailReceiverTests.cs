using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Receiving;

public sealed class MaildirMailReceiverTests : IDisposable
{
    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly string root = Path.Combine(Path.GetTempPath(), "mailing-maildir-rx-" + Guid.NewGuid().ToString("N"));

    public MaildirMailReceiverTests()
    {
        foreach (var folder in new[] { "new", "cur", "tmp" })
            Directory.CreateDirectory(Path.Combine(root, folder));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task ReceiveAsync_NewAndUnseenCur_YieldsOldestFirstAndSkipsSeenAndTrashed()
    {
        Put("new", "1700000003.M3P1.host", minutes: 3);
        Put("cur", "1700000001.M1P1.host:2,F", minutes: 1);
        Put("new", "1700000002.M2P1.host", minutes: 2);
        Put("cur", "1700000000.M0P1.host:2,S", minutes: 0);
        Put("cur", "1700000004.M4P1.host:2,T", minutes: 4);
        Put("new", ".hidden", minutes: 5);
        using var provider = Build();

        var ids = await IdsAsync(provider.GetRequiredService<IMailReceiver>());

        Assert.Equal(["1700000001.M1P1.host", "1700000002.M2P1.host", "1700000003.M3P1.host"], ids);
    }

    [Fact]
    public async Task ReceiveAsync_IncludeUnseenInCurOff_YieldsNewOnly()
    {
        Put("new", "1.M1.host", minutes: 1);
        Put("cur", "0.M0.host:2,", minutes: 0);
        using var provider = Build(o => o.IncludeUnseenInCur = false);

        Assert.Equal(["1.M1.host"], await IdsAsync(provider.GetRequiredService<IMailReceiver>()));
    }

    [Fact]
    public async Task ReceiveAsync_PostfixAndDovecotNames_IdIsTheUniqueNameAndSizeComesFromTheName()
    {
        // Postfix virtual delivery into new/, Dovecot with its ,S= and ,W= sizes and flags in cur/.
        Put("new", "1764200000.V801I4a2bM123456.mx.example.test", minutes: 0, content: "Subject: postfix\n\nbody\n");
        Put("cur", "1764200001.M654321P777.imap,S=4321,W=4400:2,", minutes: 1);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var mails = await ListAsync(receiver);

        Assert.Equal(["1764200000.V801I4a2bM123456.mx.example.test", "1764200001.M654321P777.imap,S=4321,W=4400"], mails.Select(m => m.Id));
        Assert.Equal(4321, mails[1].Size);
        Assert.Equal("Subject: postfix\n\nbody\n".Length, mails[0].Size);
        using var reader = new StreamReader(await mails[0].OpenReadAsync());
        Assert.Equal("Subject: postfix\n\nbody\n", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task AcknowledgeAsync_MarkSeenFromNew_MovesToCurWithSeenInfo()
    {
        Put("new", "1.M1.host,S=10", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var mail = Assert.Single(await ListAsync(receiver));

        await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);

        Assert.Empty(Directory.GetFiles(Path.Combine(root, "new")));
        Assert.Equal("1.M1.host,S=10:2,S", Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(root, "cur")))));
    }

    [Fact]
    public async Task AcknowledgeAsync_MarkSeenInCur_KeepsOtherFlagsSorted()
    {
        Put("cur", "1.M1.host:2,RF", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();

        await receiver.AcknowledgeAsync(Assert.Single(await ListAsync(receiver)), MailDisposition.MarkSeen);

        Assert.Equal("1.M1.host:2,FRS", Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(root, "cur")))));
    }

    [Fact]
    public async Task AcknowledgeAsync_MoveTo_MovesIntoTheMaildirPlusPlusFolderCreatingIt()
    {
        Put("new", "1.M1.host", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();

        await receiver.AcknowledgeAsync(Assert.Single(await ListAsync(receiver)), MailDisposition.MoveTo("Archive/2026"));

        var folder = Path.Combine(root, ".Archive.2026");
        Assert.Equal("1.M1.host:2,", Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(folder, "cur")))));
        Assert.True(Directory.Exists(Path.Combine(folder, "new")) && Directory.Exists(Path.Combine(folder, "tmp")));
        Assert.True(File.Exists(Path.Combine(folder, "maildirfolder")));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "new")));
        Assert.Empty(await ListAsync(receiver));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("a//b")]
    [InlineData("INBOX")]
    public async Task AcknowledgeAsync_MoveToUnsafeFolder_ThrowsAndLeavesTheMessage(string folder)
    {
        Put("new", "1.M1.host", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var mail = Assert.Single(await ListAsync(receiver));

        await Assert.ThrowsAsync<ArgumentException>(() => receiver.AcknowledgeAsync(mail, MailDisposition.MoveTo(folder)));

        Assert.Single(Directory.GetFiles(Path.Combine(root, "new")));
        Assert.Equal(3, Directory.GetDirectories(root).Length);
    }

    [Fact]
    public async Task AcknowledgeAsync_Delete_RemovesTheFile()
    {
        Put("cur", "1.M1.host:2,", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();

        await receiver.AcknowledgeAsync(Assert.Single(await ListAsync(receiver)), MailDisposition.Delete);

        Assert.Empty(Directory.GetFiles(root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AcknowledgeAsync_FileRenamedByAnotherReader_FindsItByItsUniqueName()
    {
        Put("new", "1.M1.host", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var mail = Assert.Single(await ListAsync(receiver));
        // A mail client (or Dovecot) looks at the folder meanwhile and moves the message to cur/ with a flag.
        File.Move(Path.Combine(root, "new", "1.M1.host"), Path.Combine(root, "cur", "1.M1.host:2,F"));

        await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);

        Assert.Equal("1.M1.host:2,FS", Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(root, "cur")))));
    }

    [Fact]
    public async Task AcknowledgeAsync_MessageDeletedByAnotherReader_IsANoOp()
    {
        Put("new", "1.M1.host", minutes: 0);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var mail = Assert.Single(await ListAsync(receiver));
        File.Delete(Path.Combine(root, "new", "1.M1.host"));

        await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);

        Assert.Empty(Directory.GetFiles(root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task ReceiveAsync_AfterRestart_AcknowledgedAreGoneAndUnacknowledgedComeAgain()
    {
        Put("new", "1.M1.host", minutes: 1);
        Put("new", "2.M2.host", minutes: 2);
        Put("new", "3.M3.host", minutes: 3);
        using (var first = Build())
        {
            var receiver = first.GetRequiredService<IMailReceiver>();
            var mails = await ListAsync(receiver);
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.Delete);

            // In the same process, the unacknowledged one is yielded again by the next pass, the others never.
            Assert.Equal(["2.M2.host"], await IdsAsync(receiver));
        }

        using var second = Build();
        Assert.Equal(["2.M2.host"], await IdsAsync(second.GetRequiredService<IMailReceiver>()));
    }

    [Fact]
    public async Task ReceiveAsync_MessageAcknowledgedDuringThePass_IsNotYielded()
    {
        Put("new", "1.M1.host", minutes: 1);
        Put("new", "2.M2.host", minutes: 2);
        using var provider = Build();
        var receiver = provider.GetRequiredService<IMailReceiver>();
        using var otherProvider = Build();
        var other = otherProvider.GetRequiredService<IMailReceiver>();
        var second = (await ListAsync(other))[1];

        var seen = new List<string>();
        await foreach (var mail in receiver.ReceiveAsync())
        {
            seen.Add(mail.Id);
            await other.AcknowledgeAsync(second, MailDisposition.Delete);
        }

        Assert.Equal(["1.M1.host"], seen);
    }

    [Fact]
    public async Task AcknowledgeAsync_MailOfAnotherReceiver_Throws()
    {
        Put("new", "1.M1.host", minutes: 0);
        using var a = Build();
        using var b = Build();
        var mail = Assert.Single(await ListAsync(a.GetRequiredService<IMailReceiver>()));

        await Assert.ThrowsAsync<ArgumentException>(() => b.GetRequiredService<IMailReceiver>().AcknowledgeAsync(mail, MailDisposition.MarkSeen));
    }

    [Fact]
    public void AddMaildirReceiver_FromConfiguration_BindsMailingMaildirReceiver()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Maildir:Receiver:Path"] = root,
            ["Mailing:Maildir:Receiver:IncludeUnseenInCur"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing")).AddMaildirReceiver().AddMaildirReceiver();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<MaildirReceiverOptions>>().Value;

        Assert.Equal((root, false), (options.Path, options.IncludeUnseenInCur));
        Assert.Single(services, d => d.ServiceType == typeof(IMailReceiver));
    }

    [Fact]
    public void AddMaildirReceiver_NoPath_FailsNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddMailing().AddMaildirReceiver();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MaildirReceiverOptions>>().Value);

        Assert.Contains("Mailing:Maildir:Receiver:Path is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPop3Receiver_AfterMaildirReceiver_ThrowsNamingTheConflict()
    {
        var builder = new ServiceCollection().AddMailing().AddMaildirReceiver(root);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddPop3Receiver());

        Assert.Contains("AddPop3Receiver()", error.Message, StringComparison.Ordinal);
    }

    private ServiceProvider Build(Action<MaildirReceiverOptions>? configure = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddMailing().AddMaildirReceiver(root);
        if (configure is not null)
            builder.AddMaildirReceiver(configure);
        return services.BuildServiceProvider();
    }

    private void Put(string folder, string name, int minutes, string content = "Subject: test\n\nhello\n")
    {
        var path = Path.Combine(root, folder, name);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, Epoch.AddMinutes(minutes));
    }

    private static async Task<List<ReceivedMail>> ListAsync(IMailReceiver receiver)
    {
        var mails = new List<ReceivedMail>();
        await foreach (var mail in receiver.ReceiveAsync())
            mails.Add(mail);
        return mails;
    }

    private static async Task<List<string>> IdsAsync(IMailReceiver receiver) => (await ListAsync(receiver)).Select(m => m.Id).ToList();
}
