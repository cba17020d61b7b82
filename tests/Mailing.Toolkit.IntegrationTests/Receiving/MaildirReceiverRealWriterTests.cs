using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Receiving;

/// <summary>The Maildir receiver reading a Maildir that a real Postfix delivered into.</summary>
[Collection(PostfixFixture.Collection)]
public sealed class MaildirReceiverPostfixTests(PostfixFixture postfix)
{
    [SkippableFact]
    public async Task ReceiveAsync_PostfixDelivered_YieldsItAndMarkSeenIsTheRecord()
    {
        postfix.EnsureAvailable();
        var subject = $"Inbound {Guid.NewGuid():N}";
        var before = postfix.NewMessages(postfix.AliceMaildir).Count;
        using (var client = new SmtpClient { ServerCertificateValidationCallback = (_, c, _, _) => postfix.IsServerCertificate(c) })
        {
            await client.ConnectAsync(postfix.Host, postfix.Port, SecureSocketOptions.StartTls);
            var message = new MimeMessage([MailboxAddress.Parse("sender@example.org")], [MailboxAddress.Parse("alice@example.test")], subject, new TextPart("plain") { Text = "Hello Maildir.\n" });
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var delivered = (await postfix.WaitForNewMessagesAsync(postfix.AliceMaildir, before + 1)).Single(f => File.ReadAllText(f).Contains(subject, StringComparison.Ordinal));
        await using var provider = MaildirReceivers.Build(postfix.AliceMaildir);
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var mail = await MaildirReceivers.FindAsync(receiver, subject);

        Assert.NotNull(mail);
        Assert.Equal(Path.GetFileName(delivered), mail.Id);
        Assert.Equal(new FileInfo(delivered).Length, mail.Size);
        await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        Assert.True(File.Exists(Path.Combine(postfix.AliceMaildir, "cur", mail.Id + ":2,S")));
        await using var restarted = MaildirReceivers.Build(postfix.AliceMaildir);
        Assert.Null(await MaildirReceivers.FindAsync(restarted.GetRequiredService<IMailReceiver>(), subject));
    }
}

/// <summary>The Maildir receiver reading Dovecot's own Maildir after an IMAP APPEND; Dovecot sees our flags.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class MaildirReceiverDovecotTests(DovecotFixture dovecot)
{
    [SkippableFact]
    public async Task ReceiveAsync_DovecotWrote_YieldsItAndDovecotSeesItSeenAfterMarkSeen()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("maildir");
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await imap.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await imap.AuthenticateAsync(user, DovecotFixture.Password);
        var message = new MimeMessage([MailboxAddress.Parse("a@example.test")], [MailboxAddress.Parse("b@example.test")], "appended", new TextPart("plain") { Text = "hello" });
        await imap.Inbox.AppendAsync(message);
        var maildir = Path.Combine(dovecot.MaildirOf(user), "Maildir");
        await using var provider = MaildirReceivers.Build(maildir);
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var mail = await MaildirReceivers.FindAsync(receiver, "appended");

        Assert.NotNull(mail);
        // Dovecot names files with ,S= (and ,W=) sizes: the id keeps them, the size comes from them.
        Assert.Contains(",S=", mail.Id, StringComparison.Ordinal);
        Assert.Equal(new FileInfo(Directory.GetFiles(maildir, mail.Id + "*", SearchOption.AllDirectories).Single()).Length, mail.Size);
        await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var summary = Assert.Single(await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.Flags));
        Assert.True(summary.Flags!.Value.HasFlag(MessageFlags.Seen));
        await imap.DisconnectAsync(quit: true);
    }
}

internal static class MaildirReceivers
{
    public static ServiceProvider Build(string path)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddMaildirReceiver(path);
        return services.BuildServiceProvider();
    }

    public static async Task<ReceivedMail?> FindAsync(IMailReceiver receiver, string subject)
    {
        ReceivedMail? found = null;
        await foreach (var mail in receiver.ReceiveAsync())
        {
            var message = await MimeMessage.LoadAsync(await mail.OpenReadAsync());
            if (message.Subject == subject)
                found = mail;
        }

        return found;
    }
}
