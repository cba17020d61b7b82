using Mailing.Toolkit.Tests.Parsing;
using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Testing;
using MimeKit;

namespace Mailing.Toolkit.Tests.AutoResponding;

public sealed class AutoReplyLoopTests
{
    [Fact]
    public async Task TwoAutoResponders_AnsweringEachOther_StopAfterOneReplyEach()
    {
        await using var left = Responder("left@one.example");
        await using var right = Responder("right@two.example");

        // The owners of the two mailboxes wrote to each other before leaving: each responder answers the other address.
        Assert.True((await left.Responder.RespondAsync(Person("left@one.example", from: "right@two.example"), "left@one.example")).Replied);
        Assert.True((await right.Responder.RespondAsync(Person("right@two.example", from: "left@one.example"), "right@two.example")).Replied);

        // Deliver each reply to the other side, round after round, until nothing moves.
        var delivered = new List<SentMail>();
        for (var round = 0; round < 5; round++)
        {
            var moved = 0;
            moved += await Deliver(left, right, "right@two.example", delivered);
            moved += await Deliver(right, left, "left@one.example", delivered);
            if (moved == 0)
                break;
        }

        Assert.Equal(1, left.Outbox.Count);
        Assert.Equal(1, right.Outbox.Count);
    }

    [Fact]
    public async Task TwoAutoResponders_WithoutAutoSubmitted_HistoryStillStopsTheLoop()
    {
        // A broken relay strips Auto-Submitted and rewrites the return path: the per-sender interval is the last guard.
        await using var left = Responder("left@one.example");
        await using var right = Responder("right@two.example");
        var mail = Person("left@one.example", from: "right@two.example");

        var replies = 0;
        for (var round = 0; round < 5; round++)
        {
            if ((await left.Responder.RespondAsync(mail, "left@one.example")).Replied)
                replies++;
        }

        Assert.Equal(1, replies);
    }

    private static async Task<int> Deliver(AutoReplyTestHost from, AutoReplyTestHost to, string recipient, List<SentMail> delivered)
    {
        var moved = 0;
        foreach (var sent in from.Outbox.Messages.Where(m => !delivered.Contains(m)).ToList())
        {
            delivered.Add(sent);
            Assert.True(sent.WasSentTo(recipient));
            var response = await to.Responder.RespondAsync(await ToParsedAsync(sent), recipient);
            Assert.False(response.Replied);
            Assert.Equal(AutoReplySuppression.AutoSubmitted, response.Suppression);
            moved++;
        }

        return moved;
    }

    /// <summary>
    /// What the receiving side makes of a sent reply: the MTA puts the envelope sender on top as Return-Path, and
    /// the real parser takes the message apart.
    /// </summary>
    private static async Task<ParsedMail> ToParsedAsync(SentMail sent)
    {
        using var stream = new MemoryStream();
        stream.Write(System.Text.Encoding.ASCII.GetBytes($"Return-Path: <{sent.Envelope.Sender?.Address}>\r\n"));
        await sent.Message.WriteToAsync(stream);
        stream.Position = 0;
        return await ParserFactory.Create().ParseAsync(stream);
    }

    private static AutoReplyTestHost Responder(string address) => new(o =>
    {
        o.From = address;
        o.Rules.Add(new AutoReplyRule { Name = "vacation", Text = "I am away." });
    });

    private static ParsedMail Person(string to, string from = "alice@example.test") => new()
    {
        MessageId = $"{Guid.NewGuid():N}@example.test",
        Subject = "Lunch?",
        From = [new ParsedAddress("Alice", from)],
        To = [new ParsedAddress(null, to)],
        ReturnPath = new ParsedAddress(null, from),
    };
}
