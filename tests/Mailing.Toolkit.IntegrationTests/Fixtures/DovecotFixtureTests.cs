using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>Proves the Dovecot fixture with raw MailKit, independent of our library.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class DovecotFixtureTests(DovecotFixture dovecot)
{
    [SkippableFact]
    public async Task Imap_StartTlsAppendFetch_RoundTrips()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("fixture");
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(user, DovecotFixture.Password);
        var message = new MimeMessage { Subject = "fixture check" };
        message.From.Add(MailboxAddress.Parse("a@example.test"));
        message.Body = new TextPart("plain") { Text = "hello" };

        await client.Inbox.AppendAsync(message);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var fetched = await client.Inbox.GetMessageAsync(0);

        Assert.True(client.IsSecure);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Idle));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Acl));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Quota));
        Assert.Equal("fixture check", fetched.Subject);
    }

    [SkippableFact]
    public async Task Pop3_StartTls_ListsTheMessageImapAppended()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("fixture");
        using (var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) })
        {
            await imap.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
            await imap.AuthenticateAsync(user, DovecotFixture.Password);
            var message = new MimeMessage { Subject = "for pop3" };
            message.From.Add(MailboxAddress.Parse("a@example.test"));
            message.Body = new TextPart("plain") { Text = "hello" };
            await imap.Inbox.AppendAsync(message);
        }

        using var pop3 = new Pop3Client { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await pop3.ConnectAsync(dovecot.Host, dovecot.Pop3Port, SecureSocketOptions.StartTls);
        await pop3.AuthenticateAsync(user, DovecotFixture.Password);

        Assert.Equal(1, pop3.Count);
        Assert.Equal("for pop3", (await pop3.GetMessageAsync(0)).Subject);
    }
}
