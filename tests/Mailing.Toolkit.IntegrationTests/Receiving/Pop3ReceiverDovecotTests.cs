using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Receiving;

/// <summary>The POP3 receiver against a real Dovecot: UIDL dedup across restarts, delete after success only, reconnects.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class Pop3ReceiverDovecotTests(DovecotFixture dovecot) : IDisposable
{
    private readonly string stateFile = Path.Combine(Path.GetTempPath(), "mailing-pop3-state-" + Guid.NewGuid().ToString("N"), "state.json");

    public void Dispose()
    {
        var folder = Path.GetDirectoryName(stateFile)!;
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    [SkippableFact]
    public async Task ReceiveAsync_NewInstanceWithTheSameStateFile_DoesNotHandTheSameMessageTwice()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        await AppendAsync(user, "one", "two", "three");

        await using (var first = Build(user))
        {
            var receiver = first.GetRequiredService<IMailReceiver>();
            var mails = await ListAsync(receiver);
            Assert.Equal(["one", "two", "three"], await SubjectsAsync(mails));
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.MarkSeen);
        }

        await using var second = Build(user);
        var again = await ListAsync(second.GetRequiredService<IMailReceiver>());

        Assert.Equal(["three"], await SubjectsAsync(again));
        Assert.Equal(3, await CountOnServerAsync(user));
    }

    [SkippableFact]
    public async Task ReceiveAsync_DeleteAfterHandling_DeletesOnlyWhatWasHandledAndTheFailedOneComesAgain()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        await AppendAsync(user, "handled", "handler failed");
        await using var provider = Build(user, o => o.DeleteAfterHandling = true);
        var receiver = provider.GetRequiredService<IMailReceiver>();

        await foreach (var mail in receiver.ReceiveAsync())
        {
            // Only the first handler succeeds; the second message is never acknowledged.
            if (await SubjectAsync(mail) == "handled")
                await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        }

        Assert.Equal(1, await CountOnServerAsync(user));
        var next = await ListAsync(receiver);
        Assert.Equal(["handler failed"], await SubjectsAsync(next));
    }

    [SkippableFact]
    public async Task AcknowledgeAsync_DeleteWithoutDeleteAfterHandling_DeletesThatMessageOnly()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        await AppendAsync(user, "delete me", "keep me");
        await using var provider = Build(user);
        var receiver = provider.GetRequiredService<IMailReceiver>();

        await foreach (var mail in receiver.ReceiveAsync())
            await receiver.AcknowledgeAsync(mail, await SubjectAsync(mail) == "delete me" ? MailDisposition.Delete : MailDisposition.MarkSeen);

        Assert.Equal(1, await CountOnServerAsync(user));
        Assert.Empty(await ListAsync(receiver));
    }

    [SkippableFact]
    public async Task AcknowledgeAsync_MoveTo_IsNotSupportedAndNamesTheAlternative()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        await AppendAsync(user, "m");
        await using var provider = Build(user);
        var receiver = provider.GetRequiredService<IMailReceiver>();
        var mail = Assert.Single(await ListAsync(receiver));

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => receiver.AcknowledgeAsync(mail, MailDisposition.MoveTo("Archive")));

        Assert.Contains("AddImapReceiver", error.Message, StringComparison.Ordinal);
        Assert.Single(await ListAsync(receiver));
    }

    [SkippableFact]
    public async Task ReceiveAsync_SslOnConnect_ReceivesTheRawBytes()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        var original = await AppendAsync(user, "tls");
        await using var provider = Build(user, o =>
        {
            o.Port = dovecot.Pop3sPort;
            o.Security = SecureSocketOptions.SslOnConnect;
        });

        var mail = Assert.Single(await ListAsync(provider.GetRequiredService<IMailReceiver>()));

        var received = await MimeMessage.LoadAsync(await mail.OpenReadAsync());
        Assert.Equal(original[0].MessageId, received.MessageId);
        Assert.Equal($"pop3://{user}@{dovecot.Host}:{dovecot.Pop3sPort}", mail.Mailbox);
    }

    [SkippableFact]
    public async Task ReceiveAsync_ConnectionKickedMidPass_ReconnectsAndYieldsEachMessageOnce()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        await AppendAsync(user, "a", "b", "c", "d");
        await using var provider = Build(user, o => o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(10));
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var subjects = new List<string>();
        await foreach (var mail in receiver.ReceiveAsync())
        {
            subjects.Add(await SubjectAsync(mail));
            if (subjects.Count == 2)
                await dovecot.KickAsync(user);
        }

        Assert.Equal(["a", "b", "c", "d"], subjects);
    }

    [SkippableFact]
    public async Task ReceiveAsync_WrongPassword_FailsWithoutRetrying()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("pop");
        await using var provider = Build(user, o =>
        {
            o.Password = "wrong";
            o.ReconnectBaseDelay = TimeSpan.FromMinutes(10);
            o.ReconnectMaxDelay = TimeSpan.FromMinutes(10);
        });

        await Assert.ThrowsAsync<AuthenticationException>(() => ListAsync(provider.GetRequiredService<IMailReceiver>()));
    }

    private ServiceProvider Build(string user, Action<Pop3ReceiverOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddPop3Receiver(o =>
        {
            o.Host = dovecot.Host;
            o.Port = dovecot.Pop3Port;
            o.UserName = user;
            o.Password = DovecotFixture.Password;
            o.StateFilePath = stateFile;
            // Trust exactly the fixture's self-signed certificate.
            o.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private async Task<List<MimeMessage>> AppendAsync(string user, params string[] subjects)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await imap.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await imap.AuthenticateAsync(user, DovecotFixture.Password);
        var messages = new List<MimeMessage>();
        foreach (var subject in subjects)
        {
            var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.test") };
            message.From.Add(MailboxAddress.Parse("sender@example.test"));
            message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
            message.Body = new TextPart("plain") { Text = $"Body of {subject}" };
            await imap.Inbox.AppendAsync(message);
            messages.Add(message);
        }

        await imap.DisconnectAsync(quit: true);
        return messages;
    }

    private async Task<int> CountOnServerAsync(string user)
    {
        using var pop3 = new Pop3Client { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await pop3.ConnectAsync(dovecot.Host, dovecot.Pop3Port, SecureSocketOptions.StartTls);
        await pop3.AuthenticateAsync(user, DovecotFixture.Password);
        var count = pop3.Count;
        await pop3.DisconnectAsync(quit: true);
        return count;
    }

    private static async Task<List<ReceivedMail>> ListAsync(IMailReceiver receiver)
    {
        var mails = new List<ReceivedMail>();
        await foreach (var mail in receiver.ReceiveAsync())
            mails.Add(mail);
        return mails;
    }

    private static async Task<string> SubjectAsync(ReceivedMail mail) => (await MimeMessage.LoadAsync(await mail.OpenReadAsync())).Subject ?? "";

    private static async Task<List<string>> SubjectsAsync(IEnumerable<ReceivedMail> mails)
    {
        var subjects = new List<string>();
        foreach (var mail in mails)
            subjects.Add(await SubjectAsync(mail));
        return subjects;
    }
}
