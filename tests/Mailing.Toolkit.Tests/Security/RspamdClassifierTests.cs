using System.Net;
using System.Text;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Security;

public sealed class RspamdClassifierTests
{
    private const string Path = "Mailing:Rspamd";

    // rspamd 3.4's /checkv2 reply to GTUBE (Debian 12), with a second symbol added.
    private const string GtubeReply =
        """{"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject","symbols":{"GTUBE":{"name":"GTUBE","score":0.0,"metric_score":0.0},"MIME_GOOD":{"name":"MIME_GOOD","score":-0.1,"metric_score":-0.1,"description":"Known content-type","options":["text/plain"]}},"messages":{"smtp_message":"Gtube pattern"},"message-id":"1@example.com","time_real":0.073240}""";

    private readonly CapturingLoggerProvider logs = new();

    [Fact]
    public async Task ClassifyAsync_FullContext_SendsEveryProtocolHeaderAndTheResultsAboveTheMessage()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));
        var context = new SpamCheckContext
        {
            Connection = new MailConnectionInfo(IPAddress.Parse("192.0.2.10"), "mail.example.com", "alice@example.com"),
            ClientHostName = "mail.example.com",
            Recipients = ["bob@example.org", "carol@example.org"],
            AuthenticatedUser = "alice",
            QueueId = "4XyZ1",
            Authentication = SpamAssassinClassifierTests.AuthenticationResults(),
        };

        await Classifier(handler, o => (o.Url, o.Password) = (new Uri("http://rspamd.test:11334/base/"), "controller-secret")).ClassifyAsync(SpamTestMessages.Create(), context);

        var request = Assert.Single(handler.Requests);
        Assert.Equal((HttpMethod.Post, "http://rspamd.test:11334/base/checkv2"), (request.Method, request.Uri));
        Assert.Equal("192.0.2.10", request.Headers["IP"]);
        Assert.Equal("mail.example.com", request.Headers["Helo"]);
        Assert.Equal("alice@example.com", request.Headers["From"]);
        Assert.Equal("bob@example.org, carol@example.org", request.Headers["Rcpt"]);
        Assert.Equal("alice", request.Headers["User"]);
        Assert.Equal("mail.example.com", request.Headers["Hostname"]);
        Assert.Equal("4XyZ1", request.Headers["Queue-Id"]);
        Assert.Equal("controller-secret", request.Headers["Password"]);
        Assert.StartsWith("Authentication-Results: mx.example.org;\r\n\tspf=pass smtp.mailfrom=example.com;\r\n\tdkim=pass header.d=example.com header.s=sel header.a=rsa-sha256;\r\n\tarc=none;\r\n\tdmarc=pass header.from=example.com\r\nFrom: Alice <alice@example.com>\r\n", request.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Injected", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_NoContext_SendsTheMessageIdAsQueueIdAndNothingElse()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));

        await Classifier(handler).ClassifyAsync(SpamTestMessages.Create());

        var request = Assert.Single(handler.Requests);
        Assert.Equal("lunch-1@example.com", request.Headers["Queue-Id"]);
        Assert.DoesNotContain("IP", request.Headers.Keys);
        Assert.DoesNotContain("Password", request.Headers.Keys);
        Assert.StartsWith("From: Alice", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_SendAuthenticationResultsOff_SendsTheMessageAsItIs()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));
        var context = new SpamCheckContext { Authentication = SpamAssassinClassifierTests.AuthenticationResults() };

        await Classifier(handler, o => o.SendAuthenticationResults = false).ClassifyAsync(SpamTestMessages.Create(), context);

        Assert.StartsWith("From: Alice <alice@example.com>\r\n", Assert.Single(handler.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_UnsafeAuthServId_LeavesTheFieldOut()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));
        var results = SpamAssassinClassifierTests.AuthenticationResults();
        var context = new SpamCheckContext
        {
            Authentication = new MailAuthenticationResults { AuthServId = "mx.example.org\r\nX-Spam: no", Spf = results.Spf, Arc = results.Arc, Dmarc = results.Dmarc },
        };

        await Classifier(handler).ClassifyAsync(SpamTestMessages.Create(), context);

        Assert.StartsWith("From: Alice <alice@example.com>\r\n", Assert.Single(handler.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_Smtputf8Addresses_AreLeftOutOfFromAndRcpt()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));
        var context = new SpamCheckContext
        {
            Connection = new MailConnectionInfo(null, "mail.example.com", "jörg@example.com"),
            Recipients = ["bjørn@example.org", "carol@example.org"],
        };

        await Classifier(handler).ClassifyAsync(SpamTestMessages.Create(), context);

        var request = Assert.Single(handler.Requests);
        Assert.DoesNotContain("From", request.Headers.Keys);
        Assert.Equal("carol@example.org", request.Headers["Rcpt"]);
    }

    [Fact]
    public async Task ClassifyAsync_NullReversePath_SendsAngleBrackets()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));

        await Classifier(handler).ClassifyAsync(SpamTestMessages.Create(), new SpamCheckContext { Connection = new MailConnectionInfo(null, null, "") });

        Assert.Equal("<>", Assert.Single(handler.Requests).Headers["From"]);
    }

    [Fact]
    public async Task ClassifyAsync_GtubeReply_GivesRejectWithSymbolsHighestFirst()
    {
        var verdict = await Classifier(new StubHandler(_ => Json(GtubeReply))).ClassifyAsync(SpamTestMessages.Create(SpamTestMessages.Gtube));

        Assert.Equal((SpamVerdictOrigin.Server, SpamAction.Reject, true, 15.0, 15.0), (verdict.Origin, verdict.Action, verdict.IsSpam, verdict.Score, verdict.Threshold));
        Assert.Equal("rspamd", verdict.Classifier);
        Assert.Equal([new SpamSymbol("GTUBE", 0), new SpamSymbol("MIME_GOOD", -0.1, "Known content-type")], verdict.Symbols);
        Assert.Null(verdict.Reason);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8200 && e.Level == LogLevel.Debug);
    }

    [Theory]
    [InlineData("no action", SpamAction.NoAction, false)]
    [InlineData("greylist", SpamAction.Greylist, false)]
    [InlineData("add header", SpamAction.AddHeader, true)]
    [InlineData("rewrite subject", SpamAction.RewriteSubject, true)]
    [InlineData("soft reject", SpamAction.SoftReject, false)]
    [InlineData("reject", SpamAction.Reject, true)]
    [InlineData("discard", SpamAction.Reject, true)]
    [InlineData("quarantine", SpamAction.AddHeader, true)]
    public async Task ClassifyAsync_ActionString_MapsToSpamAction(string action, SpamAction expected, bool spam)
    {
        var reply = "{\"score\":3.5,\"required_score\":15,\"action\":\"" + action + "\",\"symbols\":{}}";

        var verdict = await Classifier(new StubHandler(_ => Json(reply))).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal((expected, spam, 3.5), (verdict.Action, verdict.IsSpam, verdict.Score));
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>", "not JSON")]
    [InlineData("""{"score":1.0,"requi""", "not JSON")]
    [InlineData("[1,2,3]", "not a JSON object")]
    [InlineData("{}", "no numeric \"score\"")]
    [InlineData("""{"score":"high","required_score":15,"action":"reject"}""", "no numeric \"score\"")]
    [InlineData("""{"score":1,"action":"reject"}""", "no numeric \"required_score\"")]
    [InlineData("""{"score":1,"required_score":15}""", "no \"action\"")]
    [InlineData("""{"score":1,"required_score":15,"action":"explode\u0007"}""", "unknown action \"explode?\"")]
    [InlineData("""{"score":1,"required_score":15,"action":"reject","symbols":[]}""", "\"symbols\" is not an object")]
    [InlineData("""{"score":1,"required_score":15,"action":"reject","symbols":{"X":5}}""", "symbol \"X\" is not an object")]
    [InlineData("""{"error":"cannot parse input"}""", "rspamd reported an error: cannot parse input")]
    [InlineData("""[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]""", "not JSON")]
    public async Task ClassifyAsync_GarbageOrTruncatedReply_FailsOpenWithTheReason(string reply, string reason)
    {
        var verdict = await Classifier(new StubHandler(_ => Json(reply))).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal((SpamVerdictOrigin.Failure, SpamAction.NoAction, false), (verdict.Origin, verdict.Action, verdict.IsSpam));
        Assert.Contains(reason, verdict.Reason, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8201 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task ClassifyAsync_ForbiddenWithPassword_NamesThePasswordKeyButNeverItsValue()
    {
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.Forbidden) { ReasonPhrase = "Forbidden" });

        var error = await Assert.ThrowsAsync<SpamCheckException>(async () =>
            await Classifier(handler, o => (o.Password, o.FailureMode) = ("controller-secret", SpamFailureMode.FailClosed)).ClassifyAsync(SpamTestMessages.Create()));

        Assert.Contains("HTTP 403 Forbidden (check Mailing:Rspamd:Password)", error.Message, StringComparison.Ordinal);
        Assert.Equal("rspamd", error.Classifier);
        Assert.DoesNotContain("controller-secret", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("controller-secret", logs.AllText, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8202 && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task ClassifyAsync_AnnouncedReplyOverLimit_FailsWithoutReadingIt()
    {
        var handler = new StubHandler(_ => Json("{\"padding\":\"" + new string('a', 4000) + "\"}"));

        var verdict = await Classifier(handler, o => o.MaxResponseBytes = 1024).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("is larger than Mailing:Rspamd:MaxResponseBytes (1024 bytes)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_UnannouncedReplyOverLimit_StopsReadingAtTheLimit()
    {
        var endless = new EndlessStream();
        var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(endless) });

        var verdict = await Classifier(handler, o => o.MaxResponseBytes = 1024).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("larger than Mailing:Rspamd:MaxResponseBytes (1024 bytes)", verdict.Reason, StringComparison.Ordinal);
        Assert.InRange(endless.Served, 1025, 1024 + 16 * 1024);
    }

    [Fact]
    public async Task ClassifyAsync_SlowServer_FailsAfterTheTimeout()
    {
        var handler = new StubHandler(async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return Json("{}");
        });

        var verdict = await Classifier(handler, o => (o.Timeout, o.ConnectTimeout) = (TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250))).ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal(SpamVerdictOrigin.Failure, verdict.Origin);
        Assert.Contains("no answer within Mailing:Rspamd:Timeout (0.25 s)", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClassifyAsync_CallerCancels_ThrowsOperationCanceled()
    {
        var handler = new StubHandler(async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return Json("{}");
        });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await Classifier(handler).ClassifyAsync(SpamTestMessages.Create(), null, cancel.Token));
    }

    [Fact]
    public async Task ClassifyAsync_ConnectionRefusedAndFailClosed_Throws()
    {
        var handler = new StubHandler(_ => throw new HttpRequestException("Connection refused (rspamd.test:11333)"));

        var error = await Assert.ThrowsAsync<SpamCheckException>(async () =>
            await Classifier(handler, o => o.FailureMode = SpamFailureMode.FailClosed).ClassifyAsync(SpamTestMessages.Create()));

        Assert.Contains("rspamd at http://127.0.0.1:11333 could not classify the message: the request failed (Connection refused", error.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task ClassifyAsync_MessageOverLimit_IsSkippedWithoutARequest()
    {
        var handler = new StubHandler(_ => Json(GtubeReply));

        var verdict = await Classifier(handler, o => o.MaxMessageBytes = 2048).ClassifyAsync(SpamTestMessages.Create(new string('x', 5000)));

        Assert.Equal((SpamVerdictOrigin.Skipped, SpamAction.NoAction), (verdict.Origin, verdict.Action));
        Assert.Contains("larger than Mailing:Rspamd:MaxMessageBytes (2048 bytes)", verdict.Reason, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData("helo")]
    [InlineData("from")]
    [InlineData("rcpt")]
    [InlineData("user")]
    public async Task ClassifyAsync_LineBreakInAContextValue_IsRefusedNamingTheField(string field)
    {
        const string Bad = "x\r\nPassword: guess";
        var context = new SpamCheckContext
        {
            Connection = new MailConnectionInfo(null, field == "helo" ? Bad : "ok", field == "from" ? Bad : "a@example.com"),
            Recipients = [field == "rcpt" ? Bad : "b@example.org"],
            AuthenticatedUser = field == "user" ? Bad : null,
        };
        var handler = new StubHandler(_ => Json(GtubeReply));

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await Classifier(handler).ClassifyAsync(SpamTestMessages.Create(), context));

        Assert.Contains("SpamCheckContext.", error.Message, StringComparison.Ordinal);
        Assert.Contains("CR, LF or NUL", error.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    private static HttpResponseMessage Json(string body) => new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private RspamdClassifier Classifier(StubHandler handler, Action<RspamdOptions>? configure = null)
    {
        var options = new RspamdOptions();
        configure?.Invoke(options);
        return new RspamdClassifier(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, options, Path, logs.CreateLogger("rspamd"));
    }

    internal sealed record CapturedRequest(HttpMethod Method, string Uri, Dictionary<string, string> Headers, string Body);

    private sealed class StubHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> respond) : HttpMessageHandler
    {
        public StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond)
            : this((request, _) => Task.FromResult(respond(request)))
        {
        }

        public List<CapturedRequest> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
            Requests.Add(new CapturedRequest(request.Method, request.RequestUri!.AbsoluteUri, headers, await request.Content!.ReadAsStringAsync(cancellationToken)));
            return await respond(request, cancellationToken);
        }
    }

    /// <summary>A reply body without a length that never ends, counting what it served.</summary>
    private sealed class EndlessStream : Stream
    {
        public int Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, 512);
            buffer.AsSpan(offset, n).Fill((byte)'{');
            Served += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
