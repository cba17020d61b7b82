using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Mailing.Toolkit.Tests.AutoResponding.AutoReplyTestHost;

namespace Mailing.Toolkit.Tests.AutoResponding;

public sealed class AutoReplyRuleTests
{
    [Theory]
    [InlineData("support@shop.example", "support@shop.example", true)]
    [InlineData("support@shop.example", "SUPPORT@Shop.Example", true)]
    [InlineData("support@shop.example", "support+1234@shop.example", true)]
    [InlineData("support+vip@shop.example", "support+1234@shop.example", false)]
    [InlineData("support+vip@shop.example", "support+vip@shop.example", true)]
    [InlineData("*@shop.example", "sales@shop.example", true)]
    [InlineData("*@shop.example", "sales@shop.example.evil.test", false)]
    [InlineData("support*@*", "support-eu@shop.example", true)]
    [InlineData("s?les@shop.example", "sales@shop.example", true)]
    [InlineData("support@shop.example", "sales@shop.example", false)]
    public async Task RespondAsync_RecipientPattern_MatchesAsExpected(string pattern, string recipient, bool answered)
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "r", Recipients = { pattern }, Text = "ok" }));

        var response = await host.Responder.RespondAsync(Mail(), recipient);

        Assert.Equal(answered, response.Replied);
        if (!answered)
            Assert.Equal(AutoReplySuppression.NoRuleMatched, response.Suppression);
    }

    [Fact]
    public async Task RespondAsync_NoEnvelopeRecipient_MatchesDeliveredToToAndCc()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "sales", Recipients = { "sales@shop.example" }, Text = "ok" }));
        var viaCc = new ParsedMail
        {
            MessageId = "cc@example.test",
            From = [new ParsedAddress(null, "alice@example.test")],
            To = [new ParsedAddress(null, "bob@example.test")],
            Cc = [new ParsedAddress(null, "sales@shop.example")],
        };

        Assert.True((await host.Responder.RespondAsync(viaCc)).Replied);
        Assert.False((await host.Responder.RespondAsync(Mail(from: "carol@example.test"))).Replied); // only To: support@
    }

    [Fact]
    public async Task RespondAsync_SenderPattern_OnlyThatSenderIsAnswered()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "vip", Senders = { "*@bigcustomer.example" }, Text = "ok" }));

        Assert.True((await host.Responder.RespondAsync(Mail(from: "ceo@bigcustomer.example"), Support)).Replied);
        Assert.False((await host.Responder.RespondAsync(Mail(from: "alice@example.test"), Support)).Replied);
    }

    [Fact]
    public async Task RespondAsync_SubjectRegex_CapturesNamedGroupIntoTheReply()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule
        {
            Name = "order",
            Subject = @"order\s+#(?<order>\d+)",
            ReplySubject = "Order {order}: we are on it",
            Text = "Dear {FromName}, order {order} is being looked at. {unknown} stays.",
        }));

        var answered = await host.Responder.RespondAsync(Mail(subject: "Question about ORDER #4711"), Support);
        var ignored = await host.Responder.RespondAsync(Mail(from: "bob@example.test", subject: "Hello"), Support);

        Assert.True(answered.Replied);
        Assert.False(ignored.Replied);
        var reply = host.Outbox.Single();
        Assert.Equal("Order 4711: we are on it", reply.Subject);
        Assert.Equal("Dear Alice, order 4711 is being looked at. {unknown} stays.", reply.TextBody?.TrimEnd());
    }

    [Fact]
    public async Task RespondAsync_BodyRegex_MatchesTextOrHtmlConvertedToText()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "refund", Body = @"\brefund\b", Text = "ok" }));
        var html = new ParsedMail
        {
            MessageId = "h@example.test",
            From = [new ParsedAddress(null, "bob@example.test")],
            HtmlBody = "<p>I want a <b>refund</b></p>",
        };

        Assert.True((await host.Responder.RespondAsync(Mail(text: "Please refund me."), Support)).Replied);
        Assert.True((await host.Responder.RespondAsync(html, Support)).Replied);
        Assert.False((await host.Responder.RespondAsync(Mail(from: "carol@example.test", text: "Refunded? no: refundable"), Support)).Replied);
    }

    [Fact]
    public async Task RespondAsync_CatastrophicBacktrackingPattern_TimesOutAndIsReported()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = new AutoReplyTestHost(
            o =>
            {
                o.RegexTimeout = TimeSpan.FromMilliseconds(20);
                o.Rules.Add(new AutoReplyRule { Name = "evil", Body = "^(a+)+$", Text = "never" });
            },
            services: s => s.AddLogging(b => b.AddProvider(logs)));

        var response = await host.Responder.RespondAsync(Mail(text: new string('a', 40) + "!"), Support);

        Assert.False(response.Replied);
        Assert.Equal(AutoReplySuppression.RuleTimedOut, response.Suppression);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 4004 && e.Message.Contains("evil", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RespondAsync_TimedOutRule_NextRuleStillAnswers()
    {
        await using var host = new AutoReplyTestHost(o =>
        {
            o.RegexTimeout = TimeSpan.FromMilliseconds(20);
            o.Rules.Add(new AutoReplyRule { Name = "evil", Body = "^(a+)+$", Text = "never" });
            o.Rules.Add(AcknowledgeRule());
        });

        var response = await host.Responder.RespondAsync(Mail(text: new string('a', 40) + "!"), Support);

        Assert.True(response.Replied);
        Assert.Equal("ack", response.Rule);
    }

    [Fact]
    public async Task RespondAsync_HeaderCondition_RequiresAMatchingField()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "urgent", Headers = { ["X-Priority"] = "^1" }, Text = "ok" }));

        Assert.True((await host.Responder.RespondAsync(Mail(headers: new ParsedHeader("x-priority", "1 (Highest)")), Support)).Replied);
        Assert.False((await host.Responder.RespondAsync(Mail(from: "bob@example.test", headers: new ParsedHeader("X-Priority", "3")), Support)).Replied);
        Assert.False((await host.Responder.RespondAsync(Mail(from: "carol@example.test"), Support)).Replied);
    }

    [Fact]
    public async Task RespondAsync_DateRange_AnswersOnlyWhileActive()
    {
        var start = new DateTimeOffset(2026, 12, 20, 0, 0, 0, TimeSpan.Zero);
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule
        {
            Name = "holidays",
            ActiveFrom = start,
            ActiveUntil = start.AddDays(14),
            Text = "We are away.",
        }));

        host.Time.SetUtcNow(start.AddMinutes(-1));
        var before = await host.Responder.RespondAsync(Mail(from: "a@example.test"), Support);
        host.Time.SetUtcNow(start);
        var during = await host.Responder.RespondAsync(Mail(from: "b@example.test"), Support);
        host.Time.SetUtcNow(start.AddDays(14));
        var after = await host.Responder.RespondAsync(Mail(from: "c@example.test"), Support);

        Assert.Equal((false, true, false), (before.Replied, during.Replied, after.Replied));
    }

    [Fact]
    public async Task RespondAsync_FirstMessageOfThreadOnly_IgnoresReplies()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "new-ticket", FirstMessageOfThreadOnly = true, Text = "ok" }));
        var followUp = new ParsedMail
        {
            MessageId = "m2@example.test",
            InReplyTo = "m1@example.test",
            References = ["m1@example.test"],
            From = [new ParsedAddress(null, "bob@example.test")],
            Subject = "Re: Where is my order?",
        };

        Assert.False((await host.Responder.RespondAsync(followUp, Support)).Replied);
        Assert.True((await host.Responder.RespondAsync(Mail(), Support)).Replied);
    }

    [Fact]
    public async Task RespondAsync_SeveralRules_FirstMatchAnswers()
    {
        await using var host = new AutoReplyTestHost(o =>
        {
            o.Rules.Add(new AutoReplyRule { Name = "billing", Subject = "invoice", Text = "billing" });
            o.Rules.Add(new AutoReplyRule { Name = "general", Text = "general" });
        });

        Assert.Equal("billing", (await host.Responder.RespondAsync(Mail(subject: "Invoice 12"), Support)).Rule);
        Assert.Equal("general", (await host.Responder.RespondAsync(Mail(from: "bob@example.test", subject: "Hi"), Support)).Rule);
    }

    [Fact]
    public async Task RespondAsync_Disabled_AnswersNothing()
    {
        await using var host = AnswerAll(o => o.Enabled = false);

        var response = await host.Responder.RespondAsync(Mail(), Support);

        Assert.False(response.Replied);
        Assert.Equal(AutoReplySuppression.NoRuleMatched, response.Suppression);
        Assert.Equal(0, host.Outbox.Count);
    }
}
