using System.Text;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Tests.Receiving;

/// <summary>
/// The IMAP receiver against recorded Dovecot conversations edited into protocol edge cases
/// (TestData/Transcripts/imap): each test replays one transcript and checks what the caller sees.
/// </summary>
public sealed class ImapTranscriptTests
{
    private const string StateKey = "transcript";

    [Fact]
    public async Task Baseline_RecordedPass_ReplaysExactlyAndHandsEveryUnseenMessage()
    {
        await using var replay = TranscriptReplay.Start("imap/pass-with-every-disposition.txt");
        var store = new InMemoryMailboxStateStore();

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, new CapturingLoggerProvider(), store);
            var receiver = provider.GetRequiredService<IMailReceiver>();

            var mails = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            Assert.Equal(["First", "Second", "Third"], await SubjectsAsync(mails));
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.MoveTo("Archive"));
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.Delete);
            Assert.Empty(await Pop3ReceiverTests.ReceiveAllAsync(receiver));
        });

        Assert.Equal(3, (await store.GetAsync(StateKey))!.LastUid);
    }

    [Fact]
    public async Task ByeDuringBodyFetch_ReconnectsAndHandsEveryMessageOnce()
    {
        await using var replay = TranscriptReplay.Start("imap/bye-during-body-fetch.txt");
        var store = new InMemoryMailboxStateStore();
        var logs = new CapturingLoggerProvider();
        var handed = new List<string>();
        var subjects = new List<string>();

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, logs, store, r => r.BatchSize = 2);
            var receiver = provider.GetRequiredService<IMailReceiver>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await foreach (var mail in receiver.ReceiveAsync(timeout.Token))
            {
                handed.Add(mail.Id);
                subjects.Add(await SubjectAsync(mail));
                // Acknowledged while the pass goes on: the first two wait for the second batch's fetch (and its reconnect).
                await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen, timeout.Token);
            }
        });

        // UID 3 arrived whole on the first connection, but the batch it belongs to was cut: it is handed once, from the
        // second connection's fetch, like UID 4.
        Assert.Equal(["1733302800:1", "1733302800:2", "1733302800:3", "1733302800:4"], handed);
        Assert.Equal(["Invoice 4711", "Login problem", "Refund", "Feature request"], subjects);
        Assert.Equal(2, replay.Connections);
        var lost = Assert.Single(logs.Entries, e => e.EventId.Id == 3132);
        Assert.Equal(LogLevel.Warning, lost.Level);
        var state = await store.GetAsync(StateKey);
        Assert.Equal(1733302800, state!.UidValidity);
        Assert.Equal(4, state.LastUid);
        Assert.Empty(state.HandledIds);
    }

    [Fact]
    public async Task LiteralSplitAcrossPackets_HandlerReadsTheMessageBytesIntact()
    {
        await using var replay = TranscriptReplay.Start("imap/literal-split-across-packets.txt");
        var literal = replay.Transcript.Connections[0].Lines.Single(l => l.Literal is not null).Literal!;
        byte[]? raw = null;
        MimeMessage? parsed = null;

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, new CapturingLoggerProvider(), new InMemoryMailboxStateStore());
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var mail = Assert.Single(await Pop3ReceiverTests.ReceiveAllAsync(receiver));
            Assert.Equal(literal.Length, mail.Size);
            raw = await BytesAsync(mail);
            await using (var stream = await mail.OpenReadAsync())
                parsed = await MimeMessage.LoadAsync(stream);
            await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        });

        // Byte for byte what the server sent between the {n} and the closing parenthesis, 8-bit text included.
        Assert.Equal(literal, raw);
        Assert.Equal("Grüße aus Köln", parsed!.Subject);
        Assert.StartsWith("Grüße aus Köln – the scan is attached.\nLine with a lone {3} that is not a literal.", parsed.TextBody?.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var attachment = Assert.IsType<MimePart>(Assert.Single(parsed.Attachments));
        using var decoded = new MemoryStream();
        await attachment.Content!.DecodeToAsync(decoded);
        Assert.Equal(600, decoded.Length);
    }

    [Fact]
    public async Task MoveRefused_AcknowledgementFailsWithTheServersTextAndTheMessageComesAgain()
    {
        await using var replay = TranscriptReplay.Start("imap/move-refused.txt");
        var store = new InMemoryMailboxStateStore();
        Exception? refusal = null;
        MailboxState? afterRefusal = null;
        List<string>? secondPass = null;

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, new CapturingLoggerProvider(), store);
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var first = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            Assert.Equal(["1733302800:1", "1733302800:2"], first.Select(m => m.Id));

            refusal = await Assert.ThrowsAnyAsync<Exception>(() => receiver.AcknowledgeAsync(first[0], MailDisposition.MoveTo("Archive")));
            await receiver.AcknowledgeAsync(first[1], MailDisposition.MarkSeen);
            afterRefusal = await store.GetAsync(StateKey);

            var again = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            secondPass = [.. again.Select(m => m.Id)];
            Assert.Equal(["Invoice 4711"], await SubjectsAsync(again));
            await receiver.AcknowledgeAsync(again[0], MailDisposition.MarkSeen);
        });

        // MailKit's own exception, naming the command and carrying the server's words.
        var refused = Assert.IsType<MailKit.Net.Imap.ImapCommandException>(refusal);
        Assert.Equal(MailKit.Net.Imap.ImapCommandResponse.No, refused.Response);
        Assert.Contains("'MOVE' command with a 'NO' response: Quota exceeded (mailbox for user is full)", refused.Message, StringComparison.Ordinal);
        // UID 2 was handled, UID 1 not: the position stays below UID 1 and keeps UID 2 aside.
        Assert.Equal(0, afterRefusal!.LastUid);
        Assert.Equal(["2"], afterRefusal.HandledIds);
        Assert.Equal(["1733302800:1"], secondPass);
        var final = await store.GetAsync(StateKey);
        Assert.Equal(2, final!.LastUid);
        Assert.Empty(final.HandledIds);
    }

    [Fact]
    public async Task UidValidityChanged_UnseenMessagesAreHandedAgainSeenOnesCountAsHandled()
    {
        await using var replay = TranscriptReplay.Start("imap/uidvalidity-changed.txt");
        var store = new InMemoryMailboxStateStore();
        var logs = new CapturingLoggerProvider();
        List<ReceivedMail>? first = null;
        List<ReceivedMail>? second = null;
        List<string>? secondSubjects = null;

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, logs, store);
            var receiver = provider.GetRequiredService<IMailReceiver>();
            first = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            await receiver.AcknowledgeAsync(first[0], MailDisposition.MarkSeen); // first[1]'s handler failed

            second = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            secondSubjects = await SubjectsAsync(second);
            // Too late: its UIDVALIDITY is gone. Ignored with a warning, nothing is sent.
            await receiver.AcknowledgeAsync(first[1], MailDisposition.MarkSeen);
            foreach (var mail in second)
                await receiver.AcknowledgeAsync(mail, MailDisposition.MarkSeen);
        });

        Assert.Equal(["1733302800:1", "1733302800:2"], first!.Select(m => m.Id));
        // The seen "Invoice 4711" (now UID 1) is not handed again; the unseen "Login problem" is, with its new UID.
        Assert.Equal(["1733389200:2", "1733389200:3"], second!.Select(m => m.Id));
        Assert.Equal(["Login problem", "Refund"], secondSubjects);
        var changed = Assert.Single(logs.Entries, e => e.EventId.Id == 3131);
        Assert.Equal(LogLevel.Warning, changed.Level);
        Assert.Contains("from 1733302800 to 1733389200", changed.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3134 && e.Message.Contains("1733302800:2", StringComparison.Ordinal));
        var state = await store.GetAsync(StateKey);
        Assert.Equal(1733389200, state!.UidValidity);
        Assert.Equal(3, state.LastUid);
    }

    [Fact]
    public async Task GreetingBye_FailsWithAClearErrorAfterTheConfiguredAttempts()
    {
        await using var replay = TranscriptReplay.Start("imap/greeting-bye.txt");
        Exception? error = null;

        await replay.RunAsync(async () =>
        {
            await using var provider = Build(replay, new CapturingLoggerProvider(), new InMemoryMailboxStateStore());
            error = await Assert.ThrowsAnyAsync<Exception>(() => Pop3ReceiverTests.ReceiveAllAsync(provider.GetRequiredService<IMailReceiver>()));
        });

        Assert.Equal(2, replay.Connections);
        Assert.Empty(replay.ClientLines);
        // The server and the attempts in the message, the server's own words in the inner exception.
        var io = Assert.IsType<IOException>(error);
        Assert.Equal($"The IMAP connection to 127.0.0.1:{replay.Port} failed 2 times in a row; giving up this operation.", io.Message);
        var refused = Assert.IsType<MailKit.Net.Imap.ImapProtocolException>(io.InnerException);
        Assert.Equal("Connection queue full", refused.Message);
    }

    internal static ServiceProvider Build(TranscriptReplay replay, CapturingLoggerProvider logs, IMailboxStateStore store, Action<ImapReceiverOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton(store);
        services.AddMailing().AddImapReceiver(
            o => TranscriptRecordingTests.Account(o, replay.Port, "alice", "transcript-password"),
            r =>
            {
                r.StateKey = StateKey;
                r.UseIdle = false;
                r.MaxConnectAttempts = 2;
                r.ReconnectBaseDelay = TimeSpan.Zero;
                r.ReconnectMaxDelay = TimeSpan.Zero;
                configure?.Invoke(r);
            });
        return services.BuildServiceProvider();
    }

    internal static async Task<List<string>> SubjectsAsync(IEnumerable<ReceivedMail> mails)
    {
        var subjects = new List<string>();
        foreach (var mail in mails)
            subjects.Add(await SubjectAsync(mail));
        return subjects;
    }

    internal static async Task<string> SubjectAsync(ReceivedMail mail)
    {
        await using var stream = await mail.OpenReadAsync();
        return (await MimeMessage.LoadAsync(stream)).Subject ?? string.Empty;
    }

    internal static async Task<byte[]> BytesAsync(ReceivedMail mail)
    {
        await using var stream = await mail.OpenReadAsync();
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    internal static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
