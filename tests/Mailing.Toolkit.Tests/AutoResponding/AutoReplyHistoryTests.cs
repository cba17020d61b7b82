using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Mailing.Toolkit.Tests.AutoResponding.AutoReplyTestHost;

namespace Mailing.Toolkit.Tests.AutoResponding;

public sealed class AutoReplyHistoryTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("autoreply-history-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task RespondAsync_SameSenderWithinInterval_RepliesOnce()
    {
        await using var host = AnswerAll();

        var first = await host.Responder.RespondAsync(Mail(messageId: "a@example.test"), Support);
        host.Time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromSeconds(1));
        var second = await host.Responder.RespondAsync(Mail(from: "ALICE@example.test", messageId: "b@example.test"), Support);

        Assert.True(first.Replied);
        Assert.False(second.Replied);
        Assert.Equal(AutoReplySuppression.RecentlyReplied, second.Suppression);
        Assert.Equal("ack", second.Rule);
        Assert.Equal(1, host.Outbox.Count);
    }

    [Fact]
    public async Task RespondAsync_IntervalElapsed_RepliesAgain()
    {
        await using var host = AnswerAll();

        await host.Responder.RespondAsync(Mail(messageId: "a@example.test"), Support);
        host.Time.Advance(TimeSpan.FromDays(7));
        var again = await host.Responder.RespondAsync(Mail(messageId: "b@example.test"), Support);

        Assert.True(again.Replied);
        Assert.Equal(2, host.Outbox.Count);
    }

    [Fact]
    public async Task RespondAsync_RuleInterval_OverridesTheDefault()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "hourly", Interval = TimeSpan.FromHours(1), Text = "ok" }));

        await host.Responder.RespondAsync(Mail(messageId: "a@example.test"), Support);
        host.Time.Advance(TimeSpan.FromMinutes(59));
        var early = await host.Responder.RespondAsync(Mail(messageId: "b@example.test"), Support);
        host.Time.Advance(TimeSpan.FromMinutes(1));
        var later = await host.Responder.RespondAsync(Mail(messageId: "c@example.test"), Support);

        Assert.Equal((false, true), (early.Replied, later.Replied));
    }

    [Fact]
    public async Task RespondAsync_DifferentSenders_EachGetsAReply()
    {
        await using var host = AnswerAll();

        var alice = await host.Responder.RespondAsync(Mail(from: "alice@example.test"), Support);
        var bob = await host.Responder.RespondAsync(Mail(from: "bob@example.test"), Support);

        Assert.True(alice.Replied && bob.Replied);
    }

    [Fact]
    public async Task RespondAsync_ConcurrentMessagesFromOneSender_OneReply()
    {
        await using var host = AnswerAll();
        var responder = host.Responder;

        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(() => responder.RespondAsync(Mail(messageId: $"m{i}@example.test"), Support))));

        Assert.Single(responses, r => r.Replied);
        Assert.All(responses.Where(r => !r.Replied), r => Assert.Equal(AutoReplySuppression.RecentlyReplied, r.Suppression));
        Assert.Equal(1, host.Outbox.Count);
    }

    [Fact]
    public async Task RespondAsync_ConcurrentMessagesWithFileHistory_OneReply()
    {
        var path = Path.Combine(folder, "history.json");
        await using var host = AnswerAll(o => o.HistoryPath = path);
        var responder = host.Responder;

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => responder.RespondAsync(Mail(messageId: $"m{i}@example.test"), Support))));

        Assert.Single(responses, r => r.Replied);
        Assert.Equal(1, host.Outbox.Count);
    }

    [Fact]
    public async Task FileHistory_NewInstance_RemembersTheReply()
    {
        var path = Path.Combine(folder, "sub", "history.json");
        await using (var first = AnswerAll(o => o.HistoryPath = path))
            Assert.True((await first.Responder.RespondAsync(Mail(), Support)).Replied);

        await using var restarted = AnswerAll(o => o.HistoryPath = path);
        var again = await restarted.Responder.RespondAsync(Mail(messageId: "m2@example.test"), Support);
        var other = await restarted.Responder.RespondAsync(Mail(from: "bob@example.test"), Support);

        Assert.Equal(AutoReplySuppression.RecentlyReplied, again.Suppression);
        Assert.True(other.Replied);
    }

    [Fact]
    public async Task FileHistory_Write_ReplacesTheFileInsteadOfRewritingIt()
    {
        var path = Path.Combine(folder, "history.json");
        await using var host = AnswerAll(o => o.HistoryPath = path);
        await host.Responder.RespondAsync(Mail(from: "alice@example.test"), Support);
        var before = await File.ReadAllTextAsync(path);

        // A reader that opened the file before the next write keeps reading the complete old file: the write
        // went to a new file that was renamed over it, so no reader ever sees a half-written history.
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        await host.Responder.RespondAsync(Mail(from: "bob@example.test"), Support);
        using var old = new StreamReader(reader);

        Assert.Equal(before, await old.ReadToEndAsync());
        Assert.Contains("bob@example.test", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        Assert.Equal([path], Directory.GetFiles(folder)); // no temporary file left behind
    }

    [Fact]
    public async Task FileHistory_UnreadableFile_StartsEmptyAndLogs()
    {
        var path = Path.Combine(folder, "history.json");
        await File.WriteAllTextAsync(path, "{ not json");
        var logs = new CapturingLoggerProvider();
        await using var host = new AutoReplyTestHost(
            o =>
            {
                o.HistoryPath = path;
                o.Rules.Add(AcknowledgeRule());
            },
            services: s => s.AddLogging(b => b.AddProvider(logs)));

        var response = await host.Responder.RespondAsync(Mail(), Support);

        Assert.True(response.Replied);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 4006);
        Assert.Contains("alice@example.test", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RespondAsync_SendFails_SenderIsNotMarkedAsAnswered()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(AcknowledgeRule()), mailing: m => m.AddOutgoingFilter<FailFirstSend>());

        await Assert.ThrowsAsync<MailDeliveryException>(() => host.Responder.RespondAsync(Mail(messageId: "a@example.test"), Support));
        var retry = await host.Responder.RespondAsync(Mail(messageId: "b@example.test"), Support);

        Assert.True(retry.Replied);
        Assert.Equal(1, host.Outbox.Count);
    }

    private sealed class FailFirstSend : IOutgoingMailFilter
    {
        private int sends;

        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref sends) == 1
                ? throw new MailDeliveryException("Connection refused.", "connection", 0, null, true, false, null, null, 1)
                : ValueTask.CompletedTask;
    }
}
