using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Parsing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Mailing.Toolkit.Tests.AutoResponding.AutoReplyTestHost;

namespace Mailing.Toolkit.Tests.AutoResponding;

public sealed class AutoResponderGuardTests
{
    public static TheoryData<string, AutoReplySuppression, string> Guarded => new()
    {
        { "Auto-Submitted: auto-replied", AutoReplySuppression.AutoSubmitted, "auto_submitted" },
        { "Auto-Submitted: auto-generated with parameters", AutoReplySuppression.AutoSubmitted, "auto_submitted" },
        { "X-Auto-Response-Suppress: OOF", AutoReplySuppression.AutoSubmitted, "auto_submitted" },
        { "parsed as an auto-reply", AutoReplySuppression.AutoSubmitted, "auto_submitted" },
        { "Precedence: auto_reply", AutoReplySuppression.AutoSubmitted, "auto_submitted" },
        { "bounce", AutoReplySuppression.Bounce, "bounce" },
        { "feedback report", AutoReplySuppression.Bounce, "bounce" },
        { "multipart/report", AutoReplySuppression.Bounce, "bounce" },
        { "null Return-Path", AutoReplySuppression.NullReturnPath, "null_return_path" },
        { "Return-Path header <> only", AutoReplySuppression.NullReturnPath, "null_return_path" },
        { "List-Id", AutoReplySuppression.MailingList, "mailing_list" },
        { "List-Unsubscribe", AutoReplySuppression.MailingList, "mailing_list" },
        { "parsed mailing list", AutoReplySuppression.MailingList, "mailing_list" },
        { "Precedence: bulk", AutoReplySuppression.MailingList, "mailing_list" },
        { "Precedence: list", AutoReplySuppression.MailingList, "mailing_list" },
        { "Precedence: junk", AutoReplySuppression.MailingList, "mailing_list" },
        { "MAILER-DAEMON", AutoReplySuppression.SystemSender, "system_sender" },
        { "postmaster", AutoReplySuppression.SystemSender, "system_sender" },
        { "owner-list", AutoReplySuppression.SystemSender, "system_sender" },
        { "list-request", AutoReplySuppression.SystemSender, "system_sender" },
        { "noreply", AutoReplySuppression.SystemSender, "system_sender" },
        { "no-reply", AutoReplySuppression.SystemSender, "system_sender" },
        { "do_not_reply", AutoReplySuppression.SystemSender, "system_sender" },
        { "Return-Path is MAILER-DAEMON", AutoReplySuppression.SystemSender, "system_sender" },
        { "from our own address", AutoReplySuppression.OwnAddress, "own_address" },
        { "Return-Path is our tagged address", AutoReplySuppression.OwnAddress, "own_address" },
        { "configured own domain", AutoReplySuppression.OwnAddress, "own_address" },
        { "no address at all", AutoReplySuppression.NoReplyAddress, "no_reply_address" },
    };

    [Theory]
    [MemberData(nameof(Guarded))]
    public async Task RespondAsync_GuardedMessage_SuppressedWithReasonEvenByACatchAllRule(string @case, AutoReplySuppression expected, string tag)
    {
        await using var host = GuardHost();
        using var suppressed = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "Mailing.Toolkit", "mailing.autoreply.suppressed");

        var response = await host.Responder.RespondAsync(Case(@case), Support);

        Assert.False(response.Replied);
        Assert.Equal(expected, response.Suppression);
        Assert.False(string.IsNullOrEmpty(response.Reason));
        Assert.Equal(0, host.Outbox.Count);
        Assert.Equal(tag, Assert.Single(suppressed.GetMeasurementSnapshot()).Tags["reason"]);
    }

    [Fact]
    public async Task RespondAsync_OrdinaryMessage_CatchAllRuleAnswers()
    {
        await using var host = GuardHost();

        var response = await host.Responder.RespondAsync(Mail(), Support);

        Assert.True(response.Replied);
        Assert.Equal("everything", response.Rule);
        Assert.Equal(1, host.Outbox.Count);
    }

    [Fact]
    public async Task RespondAsync_AutoSubmittedNo_IsAnswered()
    {
        await using var host = AnswerAll();

        var response = await host.Responder.RespondAsync(Mail(headers: new ParsedHeader("Auto-Submitted", "no")), Support);

        Assert.True(response.Replied);
        Assert.Null(response.Suppression);
        Assert.Equal("ack", response.Rule);
    }

    [Fact]
    public async Task RespondAsync_GuardReason_NamesNoAddress()
    {
        await using var host = AnswerAll();

        var daemon = await host.Responder.RespondAsync(Mail(from: "mailer-daemon@mx.example.test"), Support);
        var parsed = await host.Responder.RespondAsync(Mail(headers: new ParsedHeader("Auto-Submitted", "auto-replied bob@example.test")), Support);

        Assert.Equal(AutoReplySuppression.SystemSender, daemon.Suppression);
        Assert.DoesNotContain("@", daemon.Reason, StringComparison.Ordinal);
        Assert.Equal("Auto-Submitted: auto-replied (address)", parsed.Reason);
    }

    /// <summary>A rule with no condition at all, and one that asks for exactly the mail the guards stop.</summary>
    private static AutoReplyTestHost GuardHost() => new(o =>
    {
        o.Rules.Add(new AutoReplyRule { Name = "auto", Headers = { ["Auto-Submitted"] = ".*" }, Text = "auto" });
        o.Rules.Add(new AutoReplyRule { Name = "everything", Text = "Thanks." });
        o.OwnAddresses.Add("*@internal.shop.example");
    });

    private static ParsedMail Case(string @case) => @case switch
    {
        "Auto-Submitted: auto-replied" => Mail(headers: new ParsedHeader("Auto-Submitted", "auto-replied")),
        "Auto-Submitted: auto-generated with parameters" => Mail(headers: new ParsedHeader("auto-submitted", " Auto-Generated ; owner-email=\"x@example.test\"")),
        "X-Auto-Response-Suppress: OOF" => Mail(headers: new ParsedHeader("X-Auto-Response-Suppress", "DR, OOF")),
        "parsed as an auto-reply" => With(Mail(), autoReply: new AutoReplyInfo(true, "subject starts with Out of Office")),
        "Precedence: auto_reply" => Mail(headers: new ParsedHeader("Precedence", "auto_reply")),
        "bounce" => With(Mail(), bounce: new BounceInfo(true, "mx.example.test", [])),
        "feedback report" => With(Mail(), report: new FeedbackReportInfo("abuse", null, null, null)),
        "multipart/report" => Mail(headers: new ParsedHeader("Content-Type", "multipart/report; report-type=delivery-status; boundary=x")),
        "null Return-Path" => Mail(returnPath: ""),
        "Return-Path header <> only" => With(Mail(headers: new ParsedHeader("Return-Path", "<>")), noReturnPath: true),
        "List-Id" => Mail(headers: new ParsedHeader("List-Id", "Users <users.lists.example.test>")),
        "List-Unsubscribe" => Mail(headers: new ParsedHeader("List-Unsubscribe", "<mailto:leave@lists.example.test>")),
        "parsed mailing list" => With(Mail(), list: new MailingListInfo("users.lists.example.test", [], null)),
        "Precedence: bulk" => Mail(headers: new ParsedHeader("Precedence", "bulk")),
        "Precedence: list" => Mail(headers: new ParsedHeader("Precedence", " List ")),
        "Precedence: junk" => Mail(headers: new ParsedHeader("Precedence", "junk")),
        "MAILER-DAEMON" => Mail(from: "MAILER-DAEMON@mx.example.test"),
        "postmaster" => Mail(from: "postmaster@example.test"),
        "owner-list" => Mail(from: "owner-users@lists.example.test"),
        "list-request" => Mail(from: "users-request@lists.example.test"),
        "noreply" => Mail(from: "noreply@example.test"),
        "no-reply" => Mail(from: "No-Reply@example.test"),
        "do_not_reply" => Mail(from: "do_not_reply@example.test"),
        "Return-Path is MAILER-DAEMON" => Mail(returnPath: "mailer-daemon@mx.example.test"),
        "from our own address" => Mail(from: Support),
        "Return-Path is our tagged address" => Mail(returnPath: "support+loop@shop.example"),
        "configured own domain" => Mail(from: "robot@internal.shop.example"),
        "no address at all" => new ParsedMail { MessageId = "m9@example.test", Subject = "hi", To = [new ParsedAddress(null, Support)] },
        _ => throw new ArgumentOutOfRangeException(nameof(@case)),
    };

    /// <summary>A copy of a message with parsed classifications set, as the parser would set them.</summary>
    private static ParsedMail With(
        ParsedMail mail,
        AutoReplyInfo? autoReply = null,
        BounceInfo? bounce = null,
        FeedbackReportInfo? report = null,
        MailingListInfo? list = null,
        bool noReturnPath = false) => new()
        {
            MessageId = mail.MessageId,
            Subject = mail.Subject,
            NormalizedSubject = mail.NormalizedSubject,
            From = mail.From,
            To = mail.To,
            ReturnPath = noReturnPath ? null : mail.ReturnPath,
            TextBody = mail.TextBody,
            Headers = mail.Headers,
            AutoReply = autoReply,
            Bounce = bounce,
            FeedbackReport = report,
            MailingList = list,
        };
}
