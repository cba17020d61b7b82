using System.Collections.Concurrent;
using MailKit;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Receiving.Pipeline;

/// <summary>Two keyed IMAP receivers for two Dovecot users in one host, each mailbox with its own routes.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class KeyedImapDovecotTests(DovecotFixture dovecot)
{
    private static readonly TimeSpan ArrivalWait = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task HostedPipeline_TwoKeyedImapReceivers_EachMailIsHandledByItsOwnMailboxsHandlerOnly()
    {
        dovecot.EnsureAvailable();
        var billingUser = dovecot.CreateUser("keyedbilling");
        var supportUser = dovecot.CreateUser("keyedsupport");
        await AppendAsync(billingUser, "invoice before start");
        await AppendAsync(supportUser, "question before start");
        var seen = new Seen();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(seen);
        services.AddMailing()
            .AddImapReceiver("billing", Account(billingUser), r => r.UseIdle = true)
            .AddImapReceiver("support", Account(supportUser), r => r.UseIdle = true)
            .AddInboundProcessing(
                p =>
                {
                    p.Mailbox("billing", billing => billing.Default().Handle<BillingHandler>().MoveTo("Booked"));
                    p.Mailbox("support", support => support.Default().Handle<SupportHandler>().MoveTo("Answered"));
                },
                // Far longer than the test waits: only IDLE on each mailbox's own connection starts the passes that
                // handle the messages appended after start.
                o => o.PollInterval = TimeSpan.FromHours(1));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        try
        {
            await seen.WaitForAsync(2, ArrivalWait);
            await WaitForFirstPassesAsync(provider, "billing", "support");
            await AppendAsync(supportUser, "question through idle");
            await AppendAsync(billingUser, "invoice through idle");
            await seen.WaitForAsync(4, ArrivalWait);
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }

        Assert.Equal(
            ["billing: invoice before start", "billing: invoice through idle", "support: question before start", "support: question through idle"],
            seen.Lines.Order());
        Assert.Equal((2, 0, 0), (await CountAsync(billingUser, "Booked"), await CountAsync(billingUser, "INBOX"), await CountAsync(billingUser, "Answered")));
        Assert.Equal((2, 0, 0), (await CountAsync(supportUser, "Answered"), await CountAsync(supportUser, "INBOX"), await CountAsync(supportUser, "Booked")));
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Entries["mailing.inbound.billing"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["mailing.inbound.support"].Status);
    }

    private Action<Mailing.Toolkit.Imap.ImapOptions> Account(string user) => imap =>
    {
        imap.Host = dovecot.Host;
        imap.Port = dovecot.ImapPort;
        imap.UserName = user;
        imap.Password = DovecotFixture.Password;
        imap.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
        imap.CheckCertificateRevocation = false;
    };

    private static async Task WaitForFirstPassesAsync(IServiceProvider provider, params string[] keys)
    {
        var health = provider.GetRequiredService<HealthCheckService>();
        using var limit = new CancellationTokenSource(ArrivalWait);
        foreach (var key in keys)
        {
            while (true)
            {
                var report = await health.CheckHealthAsync(limit.Token);
                if (report.Entries.TryGetValue($"mailing.inbound.{key}", out var entry) && entry.Data.TryGetValue(key, out var last) && last is not "never")
                    break;
                await Task.Delay(100, limit.Token);
            }
        }
    }

    private async Task AppendAsync(string user, string subject)
    {
        var message = new MimeMessage { Subject = subject };
        message.From.Add(MailboxAddress.Parse("sender@example.test"));
        message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}" };
        using var imap = await dovecot.ConnectImapAsync(user);
        await imap.Inbox.AppendAsync(message);
        await imap.DisconnectAsync(quit: true);
    }

    private async Task<int> CountAsync(string user, string folder)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        IMailFolder mailbox;
        try
        {
            mailbox = folder == "INBOX" ? imap.Inbox : await imap.GetFolderAsync(folder);
        }
        catch (FolderNotFoundException)
        {
            await imap.DisconnectAsync(quit: true);
            return 0;
        }

        await mailbox.StatusAsync(StatusItems.Count);
        var count = mailbox.Count;
        await imap.DisconnectAsync(quit: true);
        return count;
    }

    /// <summary>The lines the handlers wrote (<c>{handler's mailbox}: {subject}</c>), and a way to wait for them.</summary>
    private sealed class Seen
    {
        private readonly ConcurrentQueue<string> lines = new();
        private readonly SemaphoreSlim changed = new(0);

        public IEnumerable<string> Lines => lines;

        public void Add(string line)
        {
            lines.Enqueue(line);
            changed.Release();
        }

        public async Task WaitForAsync(int count, TimeSpan timeout)
        {
            using var limit = new CancellationTokenSource(timeout);
            while (lines.Count < count)
            {
                try
                {
                    await changed.WaitAsync(limit.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"{count} messages were not handled within {timeout.TotalSeconds} s; handled: {string.Join(", ", lines)}.");
                }
            }
        }
    }

    /// <summary>Writes the mailbox it was declared for, and fails when the pipeline hands it another mailbox's mail.</summary>
    private sealed class BillingHandler(Seen seen) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            seen.Add($"billing: {mail.Mail.Subject}");
            Assert.Equal("billing", mail.Mailbox);
            return Task.CompletedTask;
        }
    }

    private sealed class SupportHandler(Seen seen) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            seen.Add($"support: {mail.Mail.Subject}");
            Assert.Equal("support", mail.Mailbox);
            return Task.CompletedTask;
        }
    }
}
