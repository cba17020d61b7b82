using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Receiving.Pipeline;

/// <summary>The inbound pipeline as a hosted service over the IMAP receiver, against a real Dovecot.</summary>
[Collection(DovecotFixture.Collection)]
public sealed class InboundImapDovecotTests(DovecotFixture dovecot)
{
    private static readonly TimeSpan ArrivalWait = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task HostedPipeline_MessageAppendedByAnotherConnection_IsHandledThroughIdleAndQuarantinedOnFailure()
    {
        dovecot.EnsureAvailable();
        var user = dovecot.CreateUser("inboundimap");
        var handled = new HandledSubjects();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(handled);
        services.AddMailing()
            .AddImapReceiver(
                imap =>
                {
                    imap.Host = dovecot.Host;
                    imap.Port = dovecot.ImapPort;
                    imap.UserName = user;
                    imap.Password = DovecotFixture.Password;
                    imap.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
                },
                receiver => receiver.UseIdle = true)
            .AddInboundProcessing(p => p.Default().Handle<SubjectHandler>().MoveTo("Done"), o =>
            {
                // Far longer than the test waits: only IDLE can start the pass that handles the new message.
                o.PollInterval = TimeSpan.FromHours(1);
                o.MaxAttempts = 2;
                o.RetryBaseDelay = TimeSpan.Zero;
            });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);
        try
        {
            await FirstPassAsync(provider);   // the empty first pass ran: from now on the pipeline waits in IDLE
            await AppendAsync(user, "hello through idle");
            await AppendAsync(user, "please fail");

            await handled.WaitForAsync("hello through idle", ArrivalWait);
            await handled.WaitForAsync("please fail", ArrivalWait, count: 2);
        }
        finally
        {
            foreach (var service in hosted.Reverse())
                await service.StopAsync(CancellationToken.None);
        }

        Assert.Equal(1, await CountAsync(user, "Done"));
        Assert.Equal(1, await CountAsync(user, "Quarantine"));
        Assert.Equal(0, await CountAsync(user, "INBOX"));
    }

    /// <summary>Waits until the health check reports a successful pass of the mailbox.</summary>
    private static async Task FirstPassAsync(IServiceProvider provider)
    {
        var health = provider.GetRequiredService<HealthCheckService>();
        using var limit = new CancellationTokenSource(ArrivalWait);
        while (true)
        {
            var report = await health.CheckHealthAsync(limit.Token);
            if (report.Entries.TryGetValue("mailing.inbound", out var entry) && entry.Data.TryGetValue("default", out var last) && last is not "never")
                return;
            await Task.Delay(100, limit.Token);
        }
    }

    private async Task AppendAsync(string user, string subject)
    {
        using var imap = await ConnectAsync(user);
        var message = new MimeMessage { Subject = subject };
        message.From.Add(MailboxAddress.Parse("sender@example.test"));
        message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}" };
        await imap.Inbox.AppendAsync(message);
        await imap.DisconnectAsync(quit: true);
    }

    private async Task<int> CountAsync(string user, string folder)
    {
        using var imap = await ConnectAsync(user);
        var mailbox = folder == "INBOX" ? imap.Inbox : await imap.GetFolderAsync(folder);
        await mailbox.StatusAsync(StatusItems.Count);
        var count = mailbox.Count;
        await imap.DisconnectAsync(quit: true);
        return count;
    }

    private async Task<ImapClient> ConnectAsync(string user)
    {
        var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c) };
        await imap.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
        await imap.AuthenticateAsync(user, DovecotFixture.Password);
        return imap;
    }

    /// <summary>Subjects the handler saw, and a way to wait for one without a fixed sleep.</summary>
    private sealed class HandledSubjects
    {
        private readonly Lock gate = new();
        private readonly List<string> subjects = [];
        private readonly SemaphoreSlim changed = new(0);

        public void Add(string subject)
        {
            lock (gate)
                subjects.Add(subject);
            changed.Release();
        }

        public async Task WaitForAsync(string subject, TimeSpan timeout, int count = 1)
        {
            using var limit = new CancellationTokenSource(timeout);
            while (true)
            {
                lock (gate)
                {
                    if (subjects.Count(s => s == subject) >= count)
                        return;
                }
                try
                {
                    await changed.WaitAsync(limit.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"'{subject}' was not handled {count} time(s) within {timeout.TotalSeconds} s; handled: {string.Join(", ", subjects)}.");
                }
            }
        }
    }

    private sealed class SubjectHandler(HandledSubjects handled) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            handled.Add(mail.Mail.Subject ?? "");
            return mail.Mail.Subject == "please fail" ? throw new InvalidOperationException("fails on purpose") : Task.CompletedTask;
        }
    }
}
