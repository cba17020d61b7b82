using MailKit;
using System.Collections.Concurrent;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Receiving.Pipeline;

/// <summary>The inbound pipeline over the POP3 receiver against a real Dovecot.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class InboundPop3DovecotTests(DovecotFixture dovecot) : IDisposable
{
    private readonly string stateFile = Path.Combine(Path.GetTempPath(), "mailing-inbound-pop3-" + Guid.NewGuid().ToString("N"), "state.json");
    private readonly ConcurrentQueue<string> handled = new();

    public void Dispose()
    {
        var folder = Path.GetDirectoryName(stateFile)!;
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    [SkippableFact]
    public async Task RunPassAsync_DeleteAfterHandling_HandledDeletedFailingKeptAndNothingHandledTwiceAfterRestart()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("inbound");
        await AppendAsync(user, "one", "please fail", "two", "three");

        InboundPassResult first, again;
        await using (var provider = Build(user))
        {
            var processor = provider.GetRequiredService<IInboundMailProcessor>();
            first = await processor.RunPassAsync();
            // POP3 cannot quarantine: the failing message stays on the server and is not retried in this process.
            again = await processor.RunPassAsync();
        }

        Assert.Equal(new InboundPassResult(4, 3, 0, 0, 1), first);
        Assert.Equal(new InboundPassResult(0, 0, 0, 0, 0), again);
        // The deletions of the pass were committed by its QUIT, after the last handler finished.
        Assert.Equal(1, await CountOnServerAsync(user));

        await using (var restarted = Build(user))
            Assert.Equal(new InboundPassResult(1, 0, 0, 0, 1), await restarted.GetRequiredService<IInboundMailProcessor>().RunPassAsync());

        Assert.Equal(["one", "three", "two"], handled.Where(s => s != "please fail").Order());
        Assert.Equal(2 * 2, handled.Count(s => s == "please fail"));
    }

    private ServiceProvider Build(string user)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(handled);
        services.AddMailing()
            .AddPop3Receiver(o =>
            {
                o.Host = dovecot.Host;
                o.Port = dovecot.Pop3Port;
                o.UserName = user;
                o.Password = DovecotFixture.Password;
                o.StateFilePath = stateFile;
                o.DeleteAfterHandling = true;
                o.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
            })
            .AddInboundProcessing(p => p.Default().Handle<SubjectHandler>(), o =>
            {
                o.MaxAttempts = 2;
                o.RetryBaseDelay = TimeSpan.Zero;
                o.MaxParallelism = 2;
            });
        return services.BuildServiceProvider();
    }

    private async Task AppendAsync(string user, params string[] subjects)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await imap.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await imap.AuthenticateAsync(user, DovecotFixture.Password);
        foreach (var subject in subjects)
        {
            var message = new MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.test") };
            message.From.Add(MailboxAddress.Parse("sender@example.test"));
            message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
            message.Body = new TextPart("plain") { Text = $"Body of {subject}" };
            await imap.Inbox.AppendAsync(message);
        }

        await imap.DisconnectAsync(quit: true);
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

    private sealed class SubjectHandler(ConcurrentQueue<string> handled) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            handled.Enqueue(mail.Mail.Subject ?? "");
            return mail.Mail.Subject == "please fail" ? throw new InvalidOperationException("fails on purpose") : Task.CompletedTask;
        }
    }
}
