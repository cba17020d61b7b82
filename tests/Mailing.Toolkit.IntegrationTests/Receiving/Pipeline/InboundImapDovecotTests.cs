using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
            await HostedPipeline.WaitForFirstPassAsync(provider, ArrivalWait);   // the empty first pass ran: from now on the pipeline waits in IDLE
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

    [SkippableFact]
    public async Task RunPassAsync_HandlersFinishingTogether_AcknowledgedInSetsNotOneStorePerMessage()
    {
        dovecot.EnsureAvailable();
        const int Messages = 60;
        var user = dovecot.CreateUser("inboundsets");
        using (var imap = await dovecot.ConnectImapAsync(user))
        {
            IList<IAppendRequest> requests = Enumerable.Range(0, Messages).Select(i => (IAppendRequest)new AppendRequest(Message(user, $"set {i}"))).ToList();
            await imap.Inbox.AppendAsync(requests);
            await imap.DisconnectAsync(quit: true);
        }

        var wire = new ImapWireCapture();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(wire));
        // Handlers are released four at a time, as handlers that finish together would be.
        services.AddSingleton(new GroupHandler.Groups(size: 4));
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
                receiver => receiver.BatchSize = 20)
            .AddInboundProcessing(p => p.Default().Handle<GroupHandler>().MarkSeen(), o =>
            {
                o.Background = false;
                o.MaxParallelism = 4;
            });
        await using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();

        Assert.Equal(new InboundPassResult(Messages, Messages, 0, 0, 0), result);
        using (var imap = await dovecot.ConnectImapAsync(user))
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
            Assert.Empty(await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.NotSeen));
            await imap.DisconnectAsync(quit: true);
        }

        // One UID STORE per message would be 60; sets of the acknowledgements that arrived together make far fewer.
        var stores = wire.ClientLines.Count(line => line.Contains("UID STORE", StringComparison.OrdinalIgnoreCase) && line.Contains("\\Seen", StringComparison.Ordinal));
        Assert.InRange(stores, 1, Messages * 3 / 4);
    }

    private async Task AppendAsync(string user, string subject)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        await imap.Inbox.AppendAsync(Message(user, subject));
        await imap.DisconnectAsync(quit: true);
    }

    private static MimeMessage Message(string user, string subject)
    {
        var message = new MimeMessage { Subject = subject };
        message.From.Add(MailboxAddress.Parse("sender@example.test"));
        message.To.Add(MailboxAddress.Parse($"{user}@example.test"));
        message.Body = new TextPart("plain") { Text = $"Body of {subject}" };
        return message;
    }

    private async Task<int> CountAsync(string user, string folder)
    {
        using var imap = await dovecot.ConnectImapAsync(user);
        var mailbox = folder == "INBOX" ? imap.Inbox : await imap.GetFolderAsync(folder);
        await mailbox.StatusAsync(StatusItems.Count);
        var count = mailbox.Count;
        await imap.DisconnectAsync(quit: true);
        return count;
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

    /// <summary>Holds each handler until <see cref="Groups.Size"/> have arrived, then lets them all finish at once.</summary>
    private sealed class GroupHandler(GroupHandler.Groups groups) : IInboundMailHandler
    {
        public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken) => groups.ArriveAsync().WaitAsync(cancellationToken);

        internal sealed class Groups(int size)
        {
            private readonly Lock gate = new();
            private TaskCompletionSource current = new(TaskCreationOptions.RunContinuationsAsynchronously);
            private int arrived;

            public int Size { get; } = size;

            public Task ArriveAsync()
            {
                lock (gate)
                {
                    var group = current;
                    if (++arrived % Size == 0)
                    {
                        current = new(TaskCreationOptions.RunContinuationsAsynchronously);
                        group.SetResult();
                    }

                    return group.Task;
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
