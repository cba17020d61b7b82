using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.Security;

public sealed class SpamAssassinClassifierTests
{
    private const string Path = "Mailing:SpamAssassin";

    // The REPORT reply of spamd 4.0.1 (Debian 12) to a GTUBE message.
    private const string GtubeReportBody =
        "Spam detection software, running on the system \"vm\",\nhas identified this incoming email as possible spam.\n\n" +
        "Content preview:  XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n   \n\n" +
        "Content analysis details:   (1000.0 points, 5.0 required)\n\n" +
        " pts rule name              description\n" +
        "---- ---------------------- --------------------------------------------------\n" +
        "-0.0 NO_RECEIVED            Informational: message has no Received headers\n" +
        "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n" +
        " 0.0 MSGID_SHORT            Message-ID is unusually short\n" +
        " 2.5 LONG_RULE              A description that spamd wraps\n" +
        "                            onto a second line\n" +
        "\n";

    private readonly CapturingLoggerProvider logs = new();

    [Fact]
    public async Task ClassifyAsync_GtubeReport_ParsesScoreThresholdAndRules()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("True ; 1000.0 / 5.0", GtubeReportBody));

        var verdict = await Classifier(spamd.Port, o => o.User = "bob").ClassifyAsync(SpamTestMessages.Create(SpamTestMessages.Gtube));

        Assert.Equal((SpamVerdictOrigin.Server, SpamAction.Reject, true, 1000.0, 5.0), (verdict.Origin, verdict.Action, verdict.IsSpam, verdict.Score, verdict.Threshold));
        Assert.Equal("spamassassin", verdict.Classifier);
        Assert.Equal(["GTUBE", "LONG_RULE", "MSGID_SHORT", "NO_RECEIVED"], verdict.Symbols.Select(s => s.Name));
        Assert.Equal(new SpamSymbol("GTUBE", 1000, "BODY: Generic Test for Unsolicited Bulk Email"), verdict.Symbols[0]);
        Assert.Equal("A description that spamd wraps onto a second line", verdict.Symbols[1].Description);
        var request = Assert.Single(spamd.Requests);
        Assert.StartsWith("REPORT SPAMC/1.5\r\nContent-length: ", request, StringComparison.Ordinal);
        Assert.Contains("\r\nUser: bob\r\n", request, StringComparison.Ordinal);
        var declared = int.Parse(request.Split("\r\n")[1]["Content-length: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(declared, Encoding.UTF8.GetByteCount(request[(request.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
        Assert.Contains(SpamTestMessages.Gtube, request, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("True ; 7.4 / 5.0", SpamAction.AddHeader, true)]
    [InlineData("True ; 15.0 / 5.0", SpamAction.Reject, true)]
    [InlineData("False ; 1.2 / 5.0", SpamAction.NoAction, false)]
    [InlineData("Yes ; 6 / 5", SpamAction.AddHeader, true)]
    public async Task ClassifyAsync_CheckCommand_MapsSpamFlagAndRejectScore(string header, SpamAction action, bool spam)
    {
        await using var spamd = ScriptedSpamd.Answering($"SPAMD/1.1 0 EX_OK\r\nSpam: {header}\r\n\r\n");

        var verdict = await Classifier(spamd.Port, o => (o.Command, o.RejectScore) = (SpamdCommand.Check, 15)).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal((action, spam), (verdict.Action, verdict.IsSpam));
        Assert.Empty(verdict.Symbols);
        Assert.StartsWith("CHECK SPAMC/1.5\r\n", Assert.Single(spamd.Requests), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_SymbolsCommand_ListsRuleNamesWithoutPoints()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("True ; 7.4 / 5.0", "EMPTY_MESSAGE,MISSING_DATE,NO_RELAYS"));

        var verdict = await Classifier(spamd.Port, o => o.Command = SpamdCommand.Symbols).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(["EMPTY_MESSAGE", "MISSING_DATE", "NO_RELAYS"], verdict.Symbols.Select(s => s.Name));
        Assert.All(verdict.Symbols, s => Assert.Equal(0, s.Score));
        Assert.StartsWith("SYMBOLS SPAMC/1.5\r\n", Assert.Single(spamd.Requests), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "SPAMD/1.x status line")]
    [InlineData("SPAMD/1.0 76 Bad header line: GARBAGE SPAMC/1.5\r\n", "spamd answered 76 Bad header line")]
    [InlineData("SPAMD/1.1 zero EX_OK\r\n\r\n", "no numeric code")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\n\r\n", "no Spam header")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1.0 / 5.0\r\n\r\n", "neither True nor False")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: True ; lots / 5.0\r\n\r\n", "not a number")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: True\r\n\r\n", "True|False ; score / threshold")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nno colon here\r\n\r\n", "malformed header line")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nContent-length: 12\r\nSpam: True ; 6 / 5\r\n\r\nNOT,A RULE!", "cut short")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nContent-length: 11\r\nSpam: True ; 6 / 5\r\n\r\nNOT,A RULE!", "not a rule name")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nContent-length: x\r\n\r\n", "Content-length is not a number")]
    [InlineData("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 6 / 5\r\n", "inside its header lines")]
    [InlineData("SPAMD/1.1 0 EX", "inside its status line")]
    [InlineData("", "without a reply")]
    public async Task ClassifyAsync_GarbageOrTruncatedReply_FailsOpenWithTheReason(string reply, string reason)
    {
        await using var spamd = ScriptedSpamd.Answering(reply);

        var verdict = await Classifier(spamd.Port, o => o.Command = SpamdCommand.Symbols).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal((SpamVerdictOrigin.Failure, SpamAction.NoAction, false), (verdict.Origin, verdict.Action, verdict.IsSpam));
        Assert.Contains(reason, verdict.Reason, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8221 && e.Level == LogLevel.Warning && e.Message.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClassifyAsync_ReplyLargerThanLimit_Fails()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("True ; 6 / 5", new string('A', 5000)));

        var verdict = await Classifier(spamd.Port, o => (o.Command, o.MaxResponseBytes) = (SpamdCommand.Symbols, 1024)).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("larger than Mailing:SpamAssassin:MaxResponseBytes (1024 bytes)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_SilentServer_FailsAfterTheTimeout()
    {
        await using var spamd = new ScriptedSpamd(_ => null);

        var verdict = await Classifier(spamd.Port, o => (o.Timeout, o.ConnectTimeout) = (TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(300))).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("no answer within Mailing:SpamAssassin:Timeout (0.3 s)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_ServerDownAndFailClosed_ThrowsSpamCheckException()
    {
        var port = ClosedPort();

        var error = await Assert.ThrowsAsync<SpamCheckException>(async () =>
            await Classifier(port, o => o.FailureMode = SpamFailureMode.FailClosed).ClassifyAsync(SpamTestMessages.Create()));

        Assert.Equal("spamassassin", error.Classifier);
        Assert.Contains($"spamd at 127.0.0.1:{port} could not classify the message: could not connect (ConnectionRefused)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:FailureMode is FailClosed", error.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8222 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task ClassifyAsync_ServerDownAndFailOpen_ReturnsFlaggedNoAction()
    {
        var verdict = await Classifier(ClosedPort()).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal((SpamVerdictOrigin.Failure, SpamAction.NoAction), (verdict.Origin, verdict.Action));
        Assert.Contains("could not connect", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_CallerCancels_ThrowsOperationCanceledEvenWhenFailingOpen()
    {
        await using var spamd = new ScriptedSpamd(_ => null);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await Classifier(spamd.Port).ClassifyAsync(SpamTestMessages.Create(), null, cancel.Token));
    }

    [Fact]
    public async Task ClassifyAsync_MessageOverLimit_IsSkippedWithoutAConnection()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("True ; 6 / 5", ""));

        var verdict = await Classifier(spamd.Port, o => o.MaxMessageBytes = 1024).ClassifyAsync(SpamTestMessages.Create(new string('x', 4000)));

        Assert.Equal((SpamVerdictOrigin.Skipped, SpamAction.NoAction), (verdict.Origin, verdict.Action));
        Assert.Contains("Mailing:SpamAssassin:MaxMessageBytes (1024 bytes)", verdict.Reason, StringComparison.Ordinal);
        Assert.Empty(spamd.Requests);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8223);
    }

    [Fact]
    public async Task ClassifyAsync_ConnectionFacts_GoAboveTheMessageAsReceivedAndAuthenticationResults()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("False ; 0.1 / 5.0", ""));
        var context = new SpamCheckContext
        {
            Connection = new MailConnectionInfo(IPAddress.Parse("192.0.2.10"), "mail.example.com", "alice@example.com"),
            ClientHostName = "mx-out.example.com",
            Authentication = AuthenticationResults(),
        };

        await Classifier(spamd.Port).ClassifyAsync(SpamTestMessages.Create(), context);

        var body = Body(Assert.Single(spamd.Requests));
        Assert.StartsWith("Authentication-Results: mx.example.org;\r\n\tspf=pass smtp.mailfrom=example.com;\r\n\tdkim=pass header.d=example.com header.s=sel header.a=rsa-sha256;\r\n\tarc=none;\r\n\tdmarc=pass header.from=example.com\r\nReceived: from mail.example.com (mx-out.example.com [192.0.2.10])\r\n\tby ", body, StringComparison.Ordinal);
        Assert.Contains(" with ESMTP; Mon, 07 Dec 2026 15:00:00 +0000\r\nFrom: ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Injected", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_HeloWithLineBreak_CannotInjectAField()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("False ; 0.1 / 5.0", ""));
        var context = new SpamCheckContext { Connection = new MailConnectionInfo(IPAddress.Loopback, "evil\r\nX-Spam-Flag: NO", null) };

        await Classifier(spamd.Port).ClassifyAsync(SpamTestMessages.Create(), context);

        var body = Body(Assert.Single(spamd.Requests));
        Assert.StartsWith("Received: from unknown (unknown [127.0.0.1])", body, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam-Flag", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_Ipv6Client_IsWrittenAsAnIpv6AddressLiteral()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("False ; 0.1 / 5.0", ""));
        var context = new SpamCheckContext { Connection = new MailConnectionInfo(IPAddress.Parse("2001:db8::25"), "mail.example.com", null) };

        await Classifier(spamd.Port, o => o.SendConnectionInfo = true).ClassifyAsync(SpamTestMessages.Create(), context);

        Assert.StartsWith("Received: from mail.example.com (unknown [IPv6:2001:db8::25])", Body(Assert.Single(spamd.Requests)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_SendConnectionInfoOff_SendsTheMessageAsItIs()
    {
        await using var spamd = ScriptedSpamd.Answering(Reply("False ; 0.1 / 5.0", ""));
        var context = new SpamCheckContext { Connection = new MailConnectionInfo(IPAddress.Loopback, "mail.example.com", null), Authentication = AuthenticationResults() };

        await Classifier(spamd.Port, o => o.SendConnectionInfo = false).ClassifyAsync(SpamTestMessages.Create(), context);

        Assert.StartsWith("From: Alice <alice@example.com>\r\n", Body(Assert.Single(spamd.Requests)), StringComparison.Ordinal);
    }

    internal static MailAuthenticationResults AuthenticationResults() => new()
    {
        AuthServId = "mx.example.org",
        Spf = new SpfCheckResult(AuthenticationStatus.Pass, "mailfrom", "example.com"),
        Dkim = [new DkimSignatureResult(AuthenticationStatus.Pass, "example.com", "sel", "rsa-sha256", Reason: "good\r\nX-Injected: yes")],
        Arc = new ArcChainResult(AuthenticationStatus.None, 0),
        Dmarc = new DmarcResult(AuthenticationStatus.Pass, "example.com"),
    };

    private static string Reply(string spam, string body) =>
        $"SPAMD/1.1 0 EX_OK\r\nContent-length: {Encoding.UTF8.GetByteCount(body)}\r\nSpam: {spam}\r\n\r\n{body}";

    private static string Body(string request) => request[(request.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private SpamAssassinClassifier Classifier(int port, Action<SpamAssassinOptions>? configure = null)
    {
        var options = new SpamAssassinOptions { Host = "127.0.0.1", Port = port, Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 15, 0, 0, TimeSpan.Zero));
        return new SpamAssassinClassifier(options, Path, time, logs.CreateLogger("spamd"));
    }
}
