using System.Text;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Sdk;

namespace Mailing.Toolkit.Tests.Receiving;

/// <summary>The transcript fixture itself: the format, and a client that strays from the script fails the test with the line it sent.</summary>
public sealed class TranscriptReplayTests
{
    private const string Baseline = "imap/pass-with-every-disposition.txt";

    [Fact]
    public void Parse_LiteralTagSpaceAndConnections()
    {
        var transcript = Transcript.Parse("inline", string.Join('\n',
            "# a comment",
            "S: * OK ready",
            "C: {tag} UID FETCH 1 (BODY.PEEK[])",
            "S: * 1 FETCH (UID 1 BODY[] {#}",
            "S| Subject: Grüße",
            "S|",
            "S| --{sp}",
            "S: )",
            "C~ {tag} LOGOUT( .*)?",
            "S: +{sp}",
            "S: <close>",
            "=== second",
            "S: <split 3>",
            "S: * BYE"));

        Assert.Equal(["connection 1", "second"], transcript.Connections.Select(c => c.Name));
        var first = transcript.Connections[0].Lines;
        var literal = first.Single(l => l.Literal is not null);
        // The octet count is of the UTF-8 bytes, each line with CRLF; {sp} is a space.
        Assert.Equal("Subject: Grüße\r\n\r\n-- \r\n", Encoding.UTF8.GetString(literal.Literal!));
        Assert.Equal("* 1 FETCH (UID 1 BODY[] {25}", literal.Text);
        Assert.Equal(4, literal.Number);
        Assert.Matches(first[1].Pattern!, "A00000004 UID FETCH 1 (BODY.PEEK[])");
        Assert.DoesNotMatch(first[1].Pattern!, "A00000004 UID FETCH 1 (BODY[])");
        Assert.Matches(first[^3].Pattern!, "B00000001 LOGOUT");
        Assert.Equal("+ ", first[^2].Text);
        Assert.Equal([TranscriptStep.Split, TranscriptStep.Send], transcript.Connections[1].Lines.Select(l => l.Step));
        Assert.Equal(3, transcript.Connections[1].Lines[0].SplitSize);
    }

    [Theory]
    [InlineData("S| orphan", "line 1: a literal line (S|) must follow")]
    [InlineData("S: <close>\nS: * OK", "line 2: nothing can follow S: <close>")]
    [InlineData("X: what", "line 1: a line starts with")]
    public void Parse_MalformedLine_NamesTheLine(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => Transcript.Parse("bad.txt", text));

        Assert.Contains("bad.txt " + message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_ClientSendsAnotherCommand_FailsWithTheExpectedAndTheActualLine()
    {
        var edited = Edit(l => l == "C: {tag} UID FETCH 1:3 (BODY.PEEK[])" ? "C: {tag} UID FETCH 1:3 (BODY[])" : l);

        var ex = await Assert.ThrowsAsync<XunitException>(() => ReplayBaselineAsync(edited));

        Assert.Contains("edited.txt, connection 1 (connection 1), line 42: the client deviated from the transcript", ex.Message, StringComparison.Ordinal);
        Assert.Contains("  expected: C: {tag} UID FETCH 1:3 (BODY[])\n", ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"  actual:   [A-Z]\d{8} UID FETCH 1:3 \(BODY\.PEEK\[\]\)", ex.Message);
    }

    [Fact]
    public async Task Replay_ClientSendsMoreThanTheScript_FailsWithWhatItSent()
    {
        // The script stops after the second pass's search: the LOGOUT at dispose is one line too many.
        var lines = Edit(l => l).Split('\n').ToList();
        var logout = lines.IndexOf("C: {tag} LOGOUT");
        var edited = string.Join('\n', lines.Take(logout));

        var ex = await Assert.ThrowsAsync<XunitException>(() => ReplayBaselineAsync(edited));

        Assert.Contains("edited.txt, connection 1 (connection 1): the script ended, but the client sent", ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"actual:   [A-Z]\d{8} LOGOUT", ex.Message);
    }

    [Fact]
    public async Task Replay_ClientSkipsAScriptedCommand_FailsAtThatLine()
    {
        var edited = Edit(l => l == "C: {tag} LOGOUT" ? "C: {tag} NOOP\nS: {tag} OK NOOP completed.\nC: {tag} LOGOUT" : l);

        var ex = await Assert.ThrowsAsync<XunitException>(() => ReplayBaselineAsync(edited));

        Assert.Contains("line 107: the client deviated from the transcript\n  expected: C: {tag} NOOP\n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_ConnectionNeverOpened_FailsNamingIt()
    {
        var edited = Edit(l => l) + "\n=== the reconnect that never came\nS: * OK ready\n";

        var ex = await Assert.ThrowsAsync<XunitException>(() => ReplayBaselineAsync(edited));

        Assert.Contains("edited.txt: the client never opened connection 2 (the reconnect that never came)", ex.Message, StringComparison.Ordinal);
    }

    private static string Edit(Func<string, string> edit) =>
        string.Join('\n', File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "Transcripts", Baseline)).Select(edit));

    /// <summary>The baseline test's client, against an edited script.</summary>
    private static async Task ReplayBaselineAsync(string text)
    {
        await using var replay = TranscriptReplay.Start(Transcript.Parse("edited.txt", text));
        await replay.RunAsync(async () =>
        {
            await using var provider = ImapTranscriptTests.Build(replay, new CapturingLoggerProvider(), new InMemoryMailboxStateStore());
            var receiver = provider.GetRequiredService<IMailReceiver>();
            var mails = await Pop3ReceiverTests.ReceiveAllAsync(receiver);
            await receiver.AcknowledgeAsync(mails[0], MailDisposition.MarkSeen);
            await receiver.AcknowledgeAsync(mails[1], MailDisposition.MoveTo("Archive"));
            await receiver.AcknowledgeAsync(mails[2], MailDisposition.Delete);
            await Pop3ReceiverTests.ReceiveAllAsync(receiver);
        });
    }
}
