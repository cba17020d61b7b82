using MailKit.Security;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Receiving;

/// <summary>
/// The POP3 receiver against recorded Dovecot conversations edited into protocol edge cases
/// (TestData/Transcripts/pop3): each test replays one transcript and checks what the caller sees.
/// </summary>
public sealed class Pop3TranscriptTests
{
    private const string StateKey = "transcript";

    [Fact]
    public async Task Baseline_RecordedPasses_ReplayExactlyAndTheDeleteIsCommittedByTheNextPass()
    {
        await using var replay = TranscriptReplay.Start("pop3/two-passes-with-delete.txt");
        var store = new InMemoryMailboxStateStore();
        var logs = new CapturingLoggerProvider();

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, logs, store);
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var mails = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            Assert.Equal(["First", "Second", "Third"], await ImapTranscriptTests.SubjectsAsync(mails));
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.Delete);
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.MarkSeen);
            Assert.Empty(await Pop3ReceiverTests.ReceiveAllAsync(receiver));
        });

        Assert.Equal(["000000016b15be6b", "000000026b15be6b", "000000036b15be6b"], (await store.GetAsync(StateKey))!.HandledIds);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3123 && e.Message.StartsWith("Deleted 1 handled messages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DropDuringRetr_ReconnectsAndHandsEveryMessageOnceAndWhole()
    {
        await using var replay = TranscriptReplay.Start("pop3/drop-during-retr.txt");
        var logs = new CapturingLoggerProvider();
        var handed = new List<(string Id, string Text, long? Size)>();

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, logs, new InMemoryMailboxStateStore());
            var receiver = provider.GetRequiredService<IMailReceiver>();
            foreach (var mail in await Pop3ReceiverTests.ReceiveAllAsync(receiver))
                handed.Add((mail.Id, ImapTranscriptTests.Text(await ImapTranscriptTests.BytesAsync(mail)), mail.Size));
        });

        Assert.Equal(["00000001674f2a10", "00000002674f2a10", "00000003674f2a10"], handed.Select(m => m.Id));
        // Message 2 as the second connection sent it, not the cut first attempt: all its lines, and its LIST size.
        var second = handed[1];
        Assert.Contains("Subject: Login problem\r\n", second.Text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n    Access denied (code 17)\r\n\r\nBen\r\n", second.Text, StringComparison.Ordinal);
        Assert.Equal(second.Text.Length, second.Size);
        Assert.Equal(2, replay.Connections);
        Assert.Single(logs.Entries, e => e.EventId.Id == 3122 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task DeleRefused_TheRefusalIsReportedAndTheOtherDeletionIsStillCommitted()
    {
        await using var replay = TranscriptReplay.Start("pop3/dele-refused.txt");
        var store = new InMemoryMailboxStateStore();
        var logs = new CapturingLoggerProvider();
        var handed = new List<string>();

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, logs, store, o => o.DeleteAfterHandling = true);
            var receiver = provider.GetRequiredService<IMailReceiver>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await foreach (var mail in receiver.ReceiveAsync(timeout.Token))
            {
                handed.Add(mail.Id);
                await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen, timeout.Token);
            }
        });

        Assert.Equal(["00000001674f2a10", "00000002674f2a10"], handed);
        // Both stay recorded as handled: message 2, still on the server, is never handed again.
        Assert.Equal(["00000001674f2a10", "00000002674f2a10"], (await store.GetAsync(StateKey))!.HandledIds);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("00000002674f2a10", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3123 && e.Message.StartsWith("Deleted 1 handled messages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UidlMissingAMessage_TheOthersAreHandedUnderTheirOwnUidlsAndTheGapIsSkipped()
    {
        await using var replay = TranscriptReplay.Start("pop3/uidl-missing-message.txt");
        var handed = new List<(string Id, string Subject)>();
        var logs = new CapturingLoggerProvider();

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, logs, new InMemoryMailboxStateStore());
            foreach (var mail in await Pop3ReceiverTests.ReceiveAllAsync(provider.GetRequiredService<IMailReceiver>()))
                handed.Add((mail.Id, await ImapTranscriptTests.SubjectAsync(mail)));
        });

        Assert.Equal([("00000001674f2a10", "Invoice 4711"), ("00000003674f2a10", "Refund")], handed);
        var skipped = Assert.Single(logs.Entries, e => e.EventId.Id == 3144);
        Assert.StartsWith("POP3 message 2 on ", skipped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DotStuffedLines_TheHandlerReadsThemUnescaped()
    {
        await using var replay = TranscriptReplay.Start("pop3/dot-stuffed-lines.txt");
        string? text = null;
        long? size = null;

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, new CapturingLoggerProvider(), new InMemoryMailboxStateStore());
            var mail = Assert.Single(await Pop3ReceiverTests.ReceiveAllAsync(provider.GetRequiredService<IMailReceiver>()));
            text = ImapTranscriptTests.Text(await ImapTranscriptTests.BytesAsync(mail));
            size = mail.Size;
        });

        const string Body =
            "Lines that start with a dot, as RFC 1939 3 makes the server send them:\r\n" +
            ".\r\n" +
            "..\r\n" +
            ".hidden\r\n" +
            "...three\r\n" +
            ". a dot and a space\r\n" +
            "a dot . in the middle\r\n" +
            "\r\n" +
            "-- \r\n" +
            "Dora\r\n";
        Assert.EndsWith("Subject: Dots\r\nMessage-ID: <dots.4@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + Body, text, StringComparison.Ordinal);
        Assert.StartsWith("Return-Path: <dora@customer.test>\r\n", text, StringComparison.Ordinal);
        // The size LIST and "+OK n octets" gave: the message as stored, before stuffing.
        Assert.Equal(426, text!.Length);
        Assert.Equal(426, size);
    }

    private static ServiceProvider Build(TranscriptReplay replay, CapturingLoggerProvider logs, IMailboxStateStore store, Action<Pop3ReceiverOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton(store);
        services.AddMailing().AddPop3Receiver(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = replay.Port;
            o.Security = SecureSocketOptions.SslOnConnect;
            o.UserName = "alice";
            o.Password = "transcript-password";
            o.CheckCertificateRevocation = false;
            o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
            o.StateKey = StateKey;
            o.MaxConnectAttempts = 2;
            o.ReconnectBaseDelay = TimeSpan.Zero;
            o.ReconnectMaxDelay = TimeSpan.Zero;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }
}
