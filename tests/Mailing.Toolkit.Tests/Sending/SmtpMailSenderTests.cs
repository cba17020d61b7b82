using MailKit.Security;
using Mailing.Toolkit.Sending;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SmtpServer.Protocol;

namespace Mailing.Toolkit.Tests.Sending;

public sealed class SmtpMailSenderTests
{
    [Fact]
    public async Task SendAsync_Server451ThenAccepts_RetriesAndSucceeds()
    {
        await using var server = InProcessSmtpServer.Start(o => o.DataReply = n => n == 1 ? new SmtpResponse((SmtpReplyCode)451, "4.3.0 Try again later") : null);
        await using var provider = SenderFactory.Smtp(server.Port);

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, server.DataCount);
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task SendAsync_TransientFailureEveryTime_GivesUpAfterMaxAttempts()
    {
        await using var server = InProcessSmtpServer.Start(o => o.DataReply = _ => new SmtpResponse((SmtpReplyCode)451, "4.3.0 Try again later"));
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxAttempts = 3);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.True(ex.IsTransient);
        Assert.False(ex.MaybeDelivered);
        Assert.Equal(451, ex.ReplyCode);
        Assert.Equal("4.3.0", ex.EnhancedStatusCode);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_PermanentRejection_DoesNotRetry()
    {
        await using var server = InProcessSmtpServer.Start(o => o.DataReply = _ => new SmtpResponse((SmtpReplyCode)554, "5.7.1 Message rejected as spam"));
        await using var provider = SenderFactory.Smtp(server.Port);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.False(ex.IsTransient);
        Assert.Equal(554, ex.ReplyCode);
        Assert.Equal("5.7.1", ex.EnhancedStatusCode);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(1, server.DataCount);
        Assert.Contains("554", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_OneRecipientRefused_OthersReceiveItAndTheRefusalIsReported()
    {
        await using var server = InProcessSmtpServer.Start(o => o.Refuse = address => address == "nouser@example.test");
        await using var provider = SenderFactory.Smtp(server.Port);
        var message = SenderFactory.Message();
        message.To.Add("nouser@example.test");
        message.Cc.Add("bob@example.test");

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var rejected = Assert.Single(result.Rejected);
        Assert.Equal("nouser@example.test", rejected.Address);
        Assert.Equal(550, rejected.ReplyCode);
        Assert.False(rejected.IsTransientFailure);
        Assert.Equal(["alice@example.test", "bob@example.test"], result.Accepted.Select(r => r.Address).Order());
        var received = Assert.Single(server.Messages);
        Assert.Equal(["alice@example.test", "bob@example.test"], received.To.Order());
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task SendAsync_EveryRecipientRefused_ThrowsWithPerRecipientResults()
    {
        await using var server = InProcessSmtpServer.Start(o => o.Refuse = _ => true);
        await using var provider = SenderFactory.Smtp(server.Port);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("recipients_rejected", ex.ErrorType);
        Assert.False(ex.IsTransient);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(550, Assert.Single(ex.Recipients).ReplyCode);
        Assert.Equal(0, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_ConnectionDroppedMidData_RetriesOnAFreshConnection()
    {
        await using var server = ScriptedSmtpServer.Start(n => n == 1 ? DataAction.DropMidData : DataAction.Accept);
        await using var provider = SenderFactory.Smtp(server.Port);
        var message = SenderFactory.Message();
        // Large enough that the client is still writing when the server resets the connection.
        message.Attachments.Add(MailAttachment.FromBytes(new byte[16 * 1024 * 1024], "big.bin"));

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        Assert.Equal(2, result.Attempts);
        Assert.Equal(2, server.Connections);
        Assert.Single(server.Accepted);
    }

    [Fact]
    public async Task SendAsync_ConnectionDroppedAfterEndOfData_ReportsMaybeDeliveredAndNeverResends()
    {
        await using var server = ScriptedSmtpServer.Start(_ => DataAction.DropAfterEndOfData);
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxAttempts = 5);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.True(ex.MaybeDelivered);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(1, server.DataTransfers);
        Assert.Contains("may have been delivered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_SlowServerTimesOutAfterEndOfData_ReportsMaybeDeliveredWithoutRetry()
    {
        await using var server = InProcessSmtpServer.Start(o => o.DataDelay = TimeSpan.FromSeconds(3));
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(500);
            o.MaxAttempts = 3;
        });

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("timeout", ex.ErrorType);
        Assert.True(ex.MaybeDelivered);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(1, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_UnreachableServer_RetriesThenReportsConnectionFailure()
    {
        await using var provider = SenderFactory.Smtp(FreePort.Next(), o => o.MaxAttempts = 2);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("connection", ex.ErrorType);
        Assert.True(ex.IsTransient);
        Assert.Equal(2, ex.Attempts);
    }

    [Fact]
    public async Task SendAsync_ServerClosedAnIdlePooledConnection_ReplacesItWithoutSpendingAnAttempt()
    {
        await using var server = ScriptedSmtpServer.Start(n => n == 1 ? DataAction.AcceptThenCloseIdle : DataAction.Accept);
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxAttempts = 1);
        var sender = provider.GetRequiredService<IMailSender>();
        await sender.SendAsync(SenderFactory.Message(subject: "first"));
        await SenderFactory.WaitUntilAsync(() => server.Accepted.Count == 1, "the first message is accepted");

        var second = await sender.SendAsync(SenderFactory.Message(subject: "second"));

        Assert.Equal(1, second.Attempts);
        Assert.Equal(2, server.Connections);
        Assert.Equal(2, server.Accepted.Count);
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentCallers_NeverOpenMoreThanMaxConnections()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxConnections = 3);
        var sender = provider.GetRequiredService<IMailSender>();

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => sender.SendAsync(SenderFactory.Message(subject: $"m{i}"))));

        Assert.All(results, r => Assert.Equal(1, r.Attempts));
        Assert.Equal(40, server.Messages.Count);
        Assert.InRange(server.MaxConcurrentSessions, 1, 3);
        Assert.InRange(server.Sessions, 1, 3);
        Assert.Equal(40, server.Messages.Select(m => m.Parse().Subject).Distinct().Count());
    }

    [Fact]
    public async Task SendAsync_MessagesPerConnectionLimit_OpensANewConnection()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxMessagesPerConnection = 2);
        var sender = provider.GetRequiredService<IMailSender>();

        for (var i = 0; i < 5; i++)
            await sender.SendAsync(SenderFactory.Message());

        Assert.Equal(3, server.Sessions);
    }

    [Fact]
    public async Task Pool_ConnectionIdleLongerThanIdleTimeout_IsClosedAndReplacedOnTheNextSend()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o => o.IdleTimeout = TimeSpan.FromSeconds(30), time: time);
        var sender = provider.GetRequiredService<IMailSender>();
        await sender.SendAsync(SenderFactory.Message());
        Assert.Equal(1, server.ActiveSessions);

        time.Advance(TimeSpan.FromSeconds(31));
        await SenderFactory.WaitUntilAsync(() => server.ActiveSessions == 0, "the idle connection is closed");
        await sender.SendAsync(SenderFactory.Message());

        Assert.Equal(2, server.Sessions);
    }

    [Fact]
    public async Task SendAsync_PrimaryServerUnreachable_FailsOverToTheNextServer()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(FreePort.Next(), o =>
            o.FailoverServers.Add(new SmtpServerEndpoint { Host = "127.0.0.1", Port = server.Port, Security = SecureSocketOptions.None }));

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        Assert.Equal($"127.0.0.1:{server.Port}", result.Server);
        Assert.Equal(1, result.Attempts);
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task SendAsync_RateLimit_SpacesMessagesBeyondTheBurst()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxMessagesPerSecond = 5);
        var sender = provider.GetRequiredService<IMailSender>();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => sender.SendAsync(SenderFactory.Message(subject: $"m{i}"))));

        // A burst of 5, then one permit every 200 ms: the last 3 cannot all be sent in less than ~600 ms.
        // Only a lower bound is asserted, so a slow machine cannot make this fail.
        Assert.Equal(8, server.Messages.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(550), $"8 messages at 5/s took only {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task SendAsync_NullReversePath_SendsMailFromEmpty()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port);
        using var message = SenderFactory.Message().ToMimeMessage();
        message.From.Add(new MailboxAddress("Auto", "auto@example.test"));

        await provider.GetRequiredService<IMailSender>().SendAsync(message, new MailEnvelope(null, [new EmailAddress("alice@example.test")]));

        Assert.Equal(string.Empty, Assert.Single(server.Messages).From);
    }

    [Fact]
    public async Task SendAsync_Bcc_IsOnTheEnvelopeButInNoHeader()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port);
        var message = SenderFactory.Message();
        message.Bcc.Add("secret@example.test");

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var received = Assert.Single(server.Messages);
        Assert.Contains("secret@example.test", received.To);
        Assert.DoesNotContain("secret@example.test", received.Text, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("@example.test", received.Parse().MessageId, StringComparison.Ordinal);
        Assert.Equal("app@example.test", received.Parse().From.Mailboxes.Single().Address);
    }

    [Fact]
    public async Task SendAsync_CancelledWhileTheServerIsSlow_ThrowsOperationCanceledAndDoesNotRetry()
    {
        await using var server = InProcessSmtpServer.Start(o => o.DataDelay = TimeSpan.FromSeconds(5));
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxAttempts = 3);
        using var cancel = new CancellationTokenSource();
        var send = provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message(), cancel.Token);
        await SenderFactory.WaitUntilAsync(() => server.DataCount == 1, "the data reached the server");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        Assert.Equal(1, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_ReportsOpenAndBusyConnections()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o => o.MaxConnections = 2);
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var open = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.smtp.connections.open");
        using var busy = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.smtp.connections.busy");
        var sender = provider.GetRequiredService<IMailSender>();

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => sender.SendAsync(SenderFactory.Message())));

        Assert.Equal(server.Sessions, open.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(0, busy.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(10, busy.GetMeasurementSnapshot().Count(m => m.Value == 1));
    }
}
