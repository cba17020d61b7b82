using System.Globalization;
using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using MimeKit;
using static Mailing.Toolkit.Tests.AutoResponding.AutoReplyTestHost;

namespace Mailing.Toolkit.Tests.AutoResponding;

public sealed class AutoReplyMessageTests
{
    [Fact]
    public async Task RespondAsync_Reply_HasRfc3834HeadersAndNullReversePath()
    {
        await using var host = AnswerAll();
        var mail = new ParsedMail
        {
            MessageId = "m3@example.test",
            References = ["m1@example.test", "m2@example.test"],
            InReplyTo = "m2@example.test",
            Subject = "Re: AW: Where is my order?",
            NormalizedSubject = "Where is my order?",
            From = [new ParsedAddress("Alice", "alice@example.test")],
            ReplyTo = [new ParsedAddress(null, "team@lists.example.test")],
            ReturnPath = new ParsedAddress(null, "alice+bounces@mail.example.test"),
            To = [new ParsedAddress(null, Support)],
        };

        var response = await host.Responder.RespondAsync(mail, Support);

        var sent = host.Outbox.Single();
        var reply = sent.Message;
        Assert.Equal("auto-replied", reply.Headers["Auto-Submitted"]);
        Assert.Equal("m3@example.test", reply.InReplyTo);
        Assert.Equal(["m1@example.test", "m2@example.test", "m3@example.test"], reply.References);
        Assert.Equal("Re: Where is my order?", reply.Subject);
        Assert.Null(sent.Envelope.Sender); // MAIL FROM:<>
        // RFC 3834 section 4: to the Return-Path, not to Reply-To or From.
        Assert.Equal(["alice+bounces@mail.example.test"], sent.Recipients);
        Assert.Equal("alice+bounces@mail.example.test", Assert.Single(reply.To.Mailboxes).Address);
        Assert.Equal(Support, Assert.Single(reply.From.Mailboxes).Address); // from the address the message reached
        Assert.Equal(reply.MessageId, response.Result!.MessageId);
    }

    [Theory]
    [InlineData("Re: Re: Auto: Where is my order?", "Re: Where is my order?")]
    [InlineData("Automatic reply: RE: [Auto-Reply] Fwd[2]: Invoice", "Re: Invoice")]
    [InlineData("AW: WG: Rechnung", "Re: Rechnung")]
    [InlineData("Re:", "Automatic reply")]
    [InlineData("Reading list", "Re: Reading list")]
    public async Task RespondAsync_Subject_DoesNotPileUpPrefixes(string subject, string expected)
    {
        await using var host = AnswerAll();
        var mail = new ParsedMail
        {
            MessageId = "m@example.test",
            Subject = subject,
            From = [new ParsedAddress(null, "alice@example.test")],
        };

        await host.Responder.RespondAsync(mail, Support);

        Assert.Equal(expected, host.Outbox.Single().Subject);
    }

    [Fact]
    public async Task RespondAsync_NoReturnPath_RepliesToFromNotReplyTo()
    {
        await using var host = AnswerAll();
        var mail = new ParsedMail
        {
            MessageId = "m@example.test",
            From = [new ParsedAddress(null, "alice@example.test")],
            ReplyTo = [new ParsedAddress(null, "someone-else@example.test")],
        };

        await host.Responder.RespondAsync(mail, Support);

        Assert.Equal(["alice@example.test"], host.Outbox.Single().Recipients);
    }

    [Fact]
    public async Task RespondAsync_LineBreaksInReceivedValues_InjectNoHeader()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule
        {
            Name = "ack",
            Subject = "(?<topic>.+)",
            ReplySubject = "About {Subject} ({topic})",
            Text = "From {FromName}",
        }));
        var mail = new ParsedMail
        {
            MessageId = "m@example.test\r\nBcc: victim@example.test",
            References = ["ok@example.test", "bad@example.test>\r\nX-Evil: 1"],
            Subject = "Order\r\nBcc: victim@example.test",
            From = [new ParsedAddress("Alice\r\nBcc: victim@example.test", "alice@example.test")],
        };

        var response = await host.Responder.RespondAsync(mail, Support);

        Assert.True(response.Replied);
        var sent = host.Outbox.Single();
        Assert.Equal("About Order Bcc: victim@example.test (Order)", sent.Subject);
        Assert.Equal(["alice@example.test"], sent.Recipients);
        Assert.Null(sent.Message.Headers["Bcc"]);
        Assert.Null(sent.Message.Headers["X-Evil"]);
        Assert.Null(sent.Message.InReplyTo); // an unusable Message-ID is not echoed
        using var raw = new MemoryStream();
        await sent.Message.WriteToAsync(raw);
        var text = System.Text.Encoding.UTF8.GetString(raw.ToArray());
        Assert.DoesNotContain("\nBcc:", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RespondAsync_ConfiguredFrom_UsedAndTreatedAsOwnAddress()
    {
        await using var host = AnswerAll(o => o.From = "Shop Support <help@shop.example>");

        await host.Responder.RespondAsync(Mail(), Support);
        var fromUs = await host.Responder.RespondAsync(Mail(from: "help@shop.example"), Support);

        var reply = host.Outbox.Single();
        Assert.Equal("help@shop.example", Assert.Single(reply.Message.From.Mailboxes).Address);
        Assert.Equal(AutoReplySuppression.OwnAddress, fromUs.Suppression);
    }

    [Fact]
    public async Task RespondAsync_NoFromOfOurs_RepliesFromDefaultFromWhichIsOurs()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "any", Text = "ok" }));

        await host.Responder.RespondAsync(Mail()); // no envelope recipient, no From in the options
        var fromDefault = await host.Responder.RespondAsync(Mail(from: "app@shop.example"));

        Assert.Equal("app@shop.example", Assert.Single(host.Outbox.Single().Message.From.Mailboxes).Address);
        Assert.Equal(AutoReplySuppression.OwnAddress, fromDefault.Suppression);
    }

    [Fact]
    public async Task RespondAsync_Template_RenderedWithTheModel()
    {
        var renderer = new RecordingRenderer();
        await using var host = new AutoReplyTestHost(
            o => o.Rules.Add(new AutoReplyRule { Name = "ticket", Subject = @"#(?<request>\d+)", Template = "ticket-received" }),
            services: s => s.AddSingleton<IMailTemplateRenderer>(renderer));

        await host.Responder.RespondAsync(Mail(subject: "Re: Printer broken #991"), Support);

        var model = Assert.IsType<AutoReplyTemplateModel>(renderer.Model);
        Assert.Equal("ticket-received", renderer.Name);
        Assert.Equal("991", model.Values["request"]);
        Assert.Equal("Alice", model.FromName);
        Assert.Equal("alice@example.test", model.ReplyTo);
        Assert.Equal("Printer broken #991", model.NormalizedSubject);
        Assert.Equal("ticket", model.Rule);
        var sent = host.Outbox.Single();
        Assert.Equal("Request 991 received", sent.Subject); // the template's subject, its trailing line break removed
        Assert.Equal("<p>Hello Alice</p>", sent.HtmlBody?.Trim());
        Assert.Equal("auto-replied", sent.Message.Headers["Auto-Submitted"]);
    }

    [Fact]
    public async Task RespondAsync_ScribanTemplate_SeesTheModelAndCapturedValues()
    {
        await using var host = new AutoReplyTestHost(
            o => o.Rules.Add(new AutoReplyRule { Name = "ticket", Subject = @"#(?<request>\d+)", Template = "ticket" }),
            mailing: m => m.AddScribanTemplates(o =>
            {
                o.DefaultLayout = null;
                o.InMemoryTemplates["ticket/subject.scriban"] = "[#{{ values.request }}] {{ normalized_subject }}";
                o.InMemoryTemplates["ticket/html.scriban"] = "<p>Hello {{ from_name }}, request {{ values.request }} is open.</p>";
            }));
        var mail = Mail(subject: "Printer <broken> #991");

        var response = await host.Responder.RespondAsync(mail, Support);

        Assert.True(response.Replied);
        var sent = host.Outbox.Single();
        Assert.Equal("[#991] Printer <broken> #991", sent.Subject);
        Assert.Contains("Hello Alice, request 991 is open.", sent.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Hello Alice, request 991 is open.", sent.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RespondAsync_TemplateWithoutRenderer_UsesTheInlineText()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "t", Template = "ticket-received", Text = "Inline {FromName}" }));

        await host.Responder.RespondAsync(Mail(), Support);

        Assert.Equal("Inline Alice", host.Outbox.Single().TextBody?.TrimEnd());
    }

    [Fact]
    public async Task RespondAsync_HtmlResponse_EncodesValuesFromTheMessage()
    {
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(new AutoReplyRule { Name = "h", Html = "<p>Hi {FromName}</p>" }));
        var mail = new ParsedMail
        {
            MessageId = "m@example.test",
            From = [new ParsedAddress("<script>x</script>", "alice@example.test")],
        };

        await host.Responder.RespondAsync(mail, Support);

        Assert.Equal("<p>Hi &lt;script&gt;x&lt;/script&gt;</p>", host.Outbox.Single().HtmlBody?.Trim());
    }

    [Fact]
    public async Task RespondAsync_Sent_CountedWithRuleAndLoggedAtInformationWithoutAddresses()
    {
        var logs = new Infrastructure.CapturingLoggerProvider();
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(AcknowledgeRule()), services: s => s.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
        using var sent = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Mailing.Toolkit", "mailing.autoreply.sent");
        using var suppressed = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Mailing.Toolkit", "mailing.autoreply.suppressed");

        await host.Responder.RespondAsync(Mail(), Support);
        await host.Responder.RespondAsync(Mail(messageId: "m2@example.test"), Support);

        Assert.Equal("ack", Assert.Single(sent.GetMeasurementSnapshot()).Tags["rule"]);
        Assert.Equal("recently_replied", Assert.Single(suppressed.GetMeasurementSnapshot()).Tags["reason"]);
        var mine = logs.Entries.Where(e => e.EventId.Id is >= 4000 and < 4100).ToList();
        Assert.Contains(mine, e => e.EventId.Id == 4000);
        Assert.Contains(mine, e => e.EventId.Id == 4002 && e.Message.Contains("RecentlyReplied", StringComparison.Ordinal));
        Assert.All(mine.Where(e => e.Level > LogLevel.Debug), e => Assert.DoesNotContain("alice@", e.Message, StringComparison.Ordinal));
        Assert.Contains(mine, e => e.EventId.Id == 4001 && e.Message.Contains("alice@example.test", StringComparison.Ordinal));
    }

    private sealed class RecordingRenderer : IMailTemplateRenderer
    {
        public string? Name { get; private set; }

        public object? Model { get; private set; }

        public ValueTask<RenderedMail> RenderAsync(string name, object? model, CultureInfo? culture = null, CancellationToken cancellationToken = default)
        {
            Name = name;
            Model = model;
            var m = (AutoReplyTemplateModel)model!;
            return ValueTask.FromResult(new RenderedMail($"Request {m.Values["request"]} received\n", $"<p>Hello {m.FromName}</p>", $"Hello {m.FromName}"));
        }
    }
}
