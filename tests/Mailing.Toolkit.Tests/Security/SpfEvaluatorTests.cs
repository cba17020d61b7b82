using System.Net;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>The SPF evaluator on bad input, at each limit, and its identity rules.</summary>
public sealed class SpfEvaluatorTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    private static Task<SpfCheckResult> CheckAsync(InMemoryDnsZone zone, string domain = "example.test", SpfLimits? limits = null, IPAddress? ip = null) =>
        new SpfEvaluator(zone, limits).CheckHostAsync(ip ?? Client, domain, "user@" + domain, "mail.example.test").AsTask();

    private static InMemoryDnsZone Zone(string record) => new InMemoryDnsZone().Add("example.test", DnsRecordType.Txt, record);

    [Fact]
    public async Task CheckHost_IncludeOfItself_PermErrorAtTheLookupLimit()
    {
        var zone = new InMemoryDnsZone().Add("loop.example.test", DnsRecordType.Txt, "v=spf1 include:loop.example.test -all");

        var result = await CheckAsync(zone, "loop.example.test");

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("more than 10 DNS-querying terms", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHost_RedirectToItself_PermError()
    {
        var zone = Zone("v=spf1 redirect=example.test");

        Assert.Equal(AuthenticationStatus.PermError, (await CheckAsync(zone)).Status);
    }

    [Fact]
    public async Task CheckHost_TenDnsTerms_AreAllowed()
    {
        var zone = Zone("v=spf1 " + string.Join(' ', Enumerable.Repeat("a:h.example.test", 10)) + " ip4:192.0.2.10 -all")
            .Add("h.example.test", DnsRecordType.A, "198.51.100.1");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal("ip4:192.0.2.10", result.Mechanism);
    }

    [Fact]
    public async Task CheckHost_ElevenDnsTerms_PermError()
    {
        var zone = Zone("v=spf1 " + string.Join(' ', Enumerable.Repeat("a:h.example.test", 11)) + " ip4:192.0.2.10 -all")
            .Add("h.example.test", DnsRecordType.A, "198.51.100.1");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Null(result.Mechanism);
    }

    [Fact]
    public async Task CheckHost_LowerTermLimit_IsHonoured()
    {
        var zone = Zone("v=spf1 a:h.example.test a:h.example.test a:h.example.test ip4:192.0.2.10")
            .Add("h.example.test", DnsRecordType.A, "198.51.100.1");

        Assert.Equal(AuthenticationStatus.Pass, (await CheckAsync(zone, limits: new SpfLimits { MaxDnsTerms = 3 })).Status);
        Assert.Equal(AuthenticationStatus.PermError, (await CheckAsync(zone, limits: new SpfLimits { MaxDnsTerms = 2 })).Status);
    }

    [Fact]
    public async Task CheckHost_TwoVoidLookups_AreAllowed()
    {
        var zone = Zone("v=spf1 a:nx1.example.test a:nx2.example.test ?all");

        Assert.Equal(AuthenticationStatus.Neutral, (await CheckAsync(zone)).Status);
    }

    [Fact]
    public async Task CheckHost_ThreeVoidLookups_PermError()
    {
        // One NXDOMAIN, one NODATA (the name exists without an A record), one NXDOMAIN.
        var zone = Zone("v=spf1 a:nx1.example.test mx:nodata.example.test exists:nx3.example.test ?all")
            .Add("nodata.example.test", DnsRecordType.Txt, "not spf");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("more than 2 lookups", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHost_VoidLimitZero_FirstVoidIsPermError()
    {
        var zone = Zone("v=spf1 a:nx1.example.test ?all");

        Assert.Equal(AuthenticationStatus.PermError, (await CheckAsync(zone, limits: new SpfLimits { MaxVoidLookups = 0 })).Status);
    }

    [Fact]
    public async Task CheckHost_ExplanationLookupThatIsVoid_DoesNotCountAsVoid()
    {
        var zone = Zone("v=spf1 a:nx1.example.test a:nx2.example.test exp=nx3.example.test -all");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.Equal(SpfEvaluator.DefaultExplanation("example.test", Client), result.Explanation);
    }

    [Theory]
    [InlineData(10, AuthenticationStatus.Pass)]
    [InlineData(11, AuthenticationStatus.PermError)]
    public async Task CheckHost_MxNames_LimitedToTen(int count, AuthenticationStatus expected)
    {
        var zone = Zone("v=spf1 mx -all");
        for (var i = 0; i < count; i++)
        {
            zone.Add("example.test", DnsRecordType.Mx, $"{i} mx{i}.example.test");
            zone.Add($"mx{i}.example.test", DnsRecordType.A, i == 9 ? "192.0.2.10" : "198.51.100.1");
        }

        var result = await CheckAsync(zone);

        Assert.Equal(expected, result.Status);
        if (expected == AuthenticationStatus.PermError)
            Assert.Contains("11 MX records, more than the limit of 10", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHost_PtrNamesPastTheTenth_AreIgnored()
    {
        var zone = Zone("v=spf1 ptr ?all");
        for (var i = 0; i < 11; i++)
        {
            zone.Add("10.2.0.192.in-addr.arpa", DnsRecordType.Ptr, $"h{i}.example.test");
            zone.Add($"h{i}.example.test", DnsRecordType.A, i == 10 ? "192.0.2.10" : "198.51.100.1");
        }

        Assert.Equal(AuthenticationStatus.Neutral, (await CheckAsync(zone)).Status);
        Assert.Equal(AuthenticationStatus.Pass, (await CheckAsync(zone, limits: new SpfLimits { MaxPtrNames = 11 })).Status);
    }

    [Fact]
    public async Task CheckHost_NullMx_IsSkippedWithoutALookup()
    {
        var zone = Zone("v=spf1 mx ?all").Add("example.test", DnsRecordType.Mx, "0 .");

        Assert.Equal(AuthenticationStatus.Neutral, (await CheckAsync(zone)).Status);
    }

    [Theory]
    [InlineData("v=spf1 foo:bar -all")]
    [InlineData("v=spf1 ip4:300.1.1.1 -all")]
    [InlineData("v=spf1 ip4:192.0.2.010 -all")]
    [InlineData("v=spf1 ip4:192.0.2.0/33 -all")]
    [InlineData("v=spf1 ip6:2001:db8::/129 -all")]
    [InlineData("v=spf1 ip6:2001:db8::%eth0 -all")]
    [InlineData("v=spf1 +-all")]
    [InlineData("v=spf1 a/-1 -all")]
    [InlineData("v=spf1 a:example.test/24/64 -all")]
    [InlineData("v=spf1 mx: -all")]
    [InlineData("v=spf1 include -all")]
    [InlineData("v=spf1 exists -all")]
    [InlineData("v=spf1 ptr/24 -all")]
    [InlineData("v=spf1 all:x")]
    [InlineData("v=spf1 -all redirect=a.example.test redirect=b.example.test")]
    [InlineData("v=spf1 exp=a.example.test exp=b.example.test -all")]
    [InlineData("v=spf1 9x=y -all")]
    [InlineData("v=spf1 -all\t")]
    [InlineData("v=spf1 a:h\u00e9.example.test -all")]
    [InlineData("v=spf1 a:example.123 -all")]
    [InlineData("v=spf1 a:example.com- -all")]
    [InlineData("v=spf1 - -all")]
    public async Task CheckHost_JunkTerm_PermError(string record)
    {
        var result = await CheckAsync(Zone(record), ip: IPAddress.Parse("203.0.113.1"));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("malformed", result.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v=spf1 a:%{ -all")]
    [InlineData("v=spf1 a:%{d -all")]
    [InlineData("v=spf1 a:%{d0}.example.test -all")]
    [InlineData("v=spf1 a:%{z}.example.test -all")]
    [InlineData("v=spf1 a:%{c}.example.test -all")]
    [InlineData("v=spf1 a:%{r}.example.test -all")]
    [InlineData("v=spf1 a:%{t}.example.test -all")]
    [InlineData("v=spf1 a:%x.example.test -all")]
    [InlineData("v=spf1 a:example.test% -all")]
    [InlineData("v=spf1 a:%{d2x}.example.test -all")]
    [InlineData("v=spf1 exists:%{l} -all foo=%{")]
    [InlineData("v=spf1 exp=%{t}.example.test -all")]
    public async Task CheckHost_MalformedMacro_PermError(string record)
    {
        var result = await CheckAsync(Zone(record));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
    }

    [Fact]
    public async Task CheckHost_MacroStringEndingInAMacro_IsAValidDomainSpec()
    {
        var zone = Zone("v=spf1 exists:%{i}._ip.%{d} -all").Add("192.0.2.10._ip.example.test", DnsRecordType.A, "127.0.0.2");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal("exists:%{i}._ip.%{d}", result.Mechanism);
    }

    [Fact]
    public async Task CheckHost_RecordOverTheLengthLimit_PermError()
    {
        var record = "v=spf1 " + string.Join(' ', Enumerable.Range(0, 600).Select(i => $"ip4:10.{i / 256}.{i % 256}.0/24")) + " -all";
        Assert.True(record.Length > 8192);

        var result = await CheckAsync(Zone(record));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("more than the limit of 8192", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHost_LongRecordUnderTheLimit_IsEvaluated()
    {
        var record = "v=spf1 " + string.Join(' ', Enumerable.Range(0, 300).Select(i => $"ip4:10.{i / 256}.{i % 256}.0/24")) + " ip4:192.0.2.10 -all";

        var result = await CheckAsync(Zone(record));

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal(AuthenticationStatus.PermError, (await CheckAsync(Zone(record), limits: new SpfLimits { MaxRecordLength = 100 })).Status);
    }

    [Fact]
    public async Task CheckHost_ExpansionThatWouldBeHuge_IsNoValidName()
    {
        // 1000 %{s} would be tens of kilobytes: refused, so the mechanism cannot match; nothing is built or queried.
        var record = "v=spf1 exists:" + string.Concat(Enumerable.Repeat("%{s}", 1000)) + " ?all";

        var result = await new SpfEvaluator(Zone(record)).CheckHostAsync(Client, "example.test", new string('x', 60) + "@example.test", "h.example.test");

        Assert.Equal(AuthenticationStatus.Neutral, result.Status);
    }

    [Fact]
    public async Task CheckHost_TxtLookupTimesOut_TempError()
    {
        var result = await CheckAsync(new InMemoryDnsZone().AddTimeout("example.test"));

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
        Assert.Contains("timed out", result.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v=spf1 include:slow.example.test -all")]
    [InlineData("v=spf1 a:slow.example.test -all")]
    [InlineData("v=spf1 mx:mx.example.test -all")]
    [InlineData("v=spf1 exists:slow.example.test -all")]
    [InlineData("v=spf1 redirect=slow.example.test")]
    public async Task CheckHost_TermLookupTimesOut_TempError(string record)
    {
        var zone = Zone(record).AddTimeout("slow.example.test").Add("mx.example.test", DnsRecordType.Mx, "10 slow.example.test");

        Assert.Equal(AuthenticationStatus.TempError, (await CheckAsync(zone)).Status);
    }

    [Fact]
    public async Task CheckHost_PtrLookupTimesOut_PtrDoesNotMatch()
    {
        var zone = Zone("v=spf1 ptr ?all").AddTimeout("10.2.0.192.in-addr.arpa");

        Assert.Equal(AuthenticationStatus.Neutral, (await CheckAsync(zone)).Status);
    }

    [Fact]
    public async Task CheckHost_ResolverThrows_TempErrorAndAWarning()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var evaluator = new SpfEvaluator(new ThrowingResolver(), logger: factory.CreateLogger("spf"));

        var result = await evaluator.CheckHostAsync(Client, "example.test", "a@example.test", "h.example.test");

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8021 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task CheckHost_CallerCancels_Throws()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SpfEvaluator(Zone("v=spf1 -all")).CheckHostAsync(Client, "example.test", "a@example.test", "h", cts.Token).AsTask());
    }

    [Fact]
    public async Task CheckHost_CallerCancelsDuringAHangingQuery_Throws()
    {
        var resolver = new HangingResolver();
        using var cts = new CancellationTokenSource();
        var check = new SpfEvaluator(resolver).CheckHostAsync(Client, "example.test", "a@example.test", "h", cts.Token).AsTask();
        await resolver.Started.Task;

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check);
    }

    [Fact]
    public async Task CheckHost_ResolverThatNeverAnswers_TempErrorAtTheTimeout()
    {
        var time = new FakeTimeProvider();
        var resolver = new HangingResolver();
        var check = new SpfEvaluator(resolver, time: time).CheckHostAsync(Client, "example.test", "a@example.test", "h").AsTask();
        await resolver.Started.Task;

        time.Advance(TimeSpan.FromSeconds(21));
        var result = await check;

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
        Assert.Contains("took longer than 20 s", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHost_TotalQueryCap_PermError()
    {
        // Each %{p} lookup is no DNS term; the total cap still bounds them.
        var zone = Zone("v=spf1 a:%{p}.example.test ip4:192.0.2.10");
        for (var i = 0; i < 10; i++)
            zone.Add("10.2.0.192.in-addr.arpa", DnsRecordType.Ptr, $"h{i}.example.test");

        Assert.Equal(AuthenticationStatus.Pass, (await CheckAsync(zone)).Status);
        var capped = await CheckAsync(zone, limits: new SpfLimits { MaxDnsQueries = 5 });
        Assert.Equal(AuthenticationStatus.PermError, capped.Status);
        Assert.Contains("more than 5 DNS queries", capped.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nodot")]
    [InlineData("[192.0.2.1]")]
    [InlineData("192.0.2.1")]
    [InlineData("a..example.test")]
    [InlineData("")]
    [InlineData("bad name.example.test")]
    public async Task CheckHost_InvalidDomain_NoneWithoutALookup(string domain)
    {
        var result = await new SpfEvaluator(new ThrowingResolver()).CheckHostAsync(Client, domain, "a@" + domain, "h");

        Assert.Equal(AuthenticationStatus.None, result.Status);
        Assert.Null(result.Domain);
    }

    [Fact]
    public async Task CheckHost_Ipv4MappedClient_MatchesIp4Only()
    {
        var zone = Zone("v=spf1 ip6:::ffff:192.0.2.10 ip4:192.0.2.10 -all");

        var result = await CheckAsync(zone, ip: IPAddress.Parse("::ffff:192.0.2.10"));

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal("ip4:192.0.2.10", result.Mechanism);
    }

    [Fact]
    public async Task CheckHost_ExplanationWithMacros_IsExpanded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var zone = Zone("v=spf1 -all exp=why.%{d}")
            .Add("why.example.test", DnsRecordType.Txt, "%{c} may not send for %{o} (%{l}, seen by %{r} at %{t})");
        var evaluator = new SpfEvaluator(zone, time: time, receivingHost: "mx.receiver.test");

        var result = await evaluator.CheckHostAsync(Client, "example.test", "alice@example.test", "h");

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.Equal("-all", result.Mechanism);
        Assert.Equal("192.0.2.10 may not send for example.test (alice, seen by mx.receiver.test at 1800000000)", result.Explanation);
    }

    [Fact]
    public async Task CheckHost_ExplanationWouldCarryALineBreak_DefaultIsUsed()
    {
        var zone = Zone("v=spf1 -all exp=why.example.test").Add("why.example.test", DnsRecordType.Txt, "no: %{l}");

        var result = await new SpfEvaluator(zone).CheckHostAsync(Client, "example.test", "a\r\nBcc: x@example.test", "h");

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.DoesNotContain('\n', result.Explanation!);
    }

    [Fact]
    public async Task CheckHost_IncludeOfADomainWithoutRecord_PermError()
    {
        var zone = Zone("v=spf1 include:other.example.test -all").Add("other.example.test", DnsRecordType.Txt, "not spf");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("include:other.example.test", result.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHost_TwoIncludesPass_ReportsTheIncludeThatMatched()
    {
        var zone = Zone("v=spf1 include:a.example.test include:b.example.test -all")
            .Add("a.example.test", DnsRecordType.Txt, "v=spf1 ip4:198.51.100.0/24 -all")
            .Add("b.example.test", DnsRecordType.Txt, "v=spf1 ip4:192.0.2.0/24 -all");

        var result = await CheckAsync(zone);

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal("include:b.example.test", result.Mechanism);
        Assert.Equal("example.test", result.Domain);
        Assert.Equal(SpfEvaluator.IdentityMailFrom, result.Identity);
    }

    [Fact]
    public async Task CheckAsync_NullSender_ChecksPostmasterAtHelo()
    {
        var zone = new InMemoryDnsZone()
            .Add("mail.example.test", DnsRecordType.Txt, "v=spf1 exists:%{l}.%{d} -all")
            .Add("postmaster.mail.example.test", DnsRecordType.A, "127.0.0.2");

        var result = await new SpfEvaluator(zone).CheckAsync(new MailConnectionInfo(Client, "mail.example.test", "<>"));

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal(SpfEvaluator.IdentityHelo, result.Identity);
        Assert.Equal("mail.example.test", result.Domain);
    }

    [Fact]
    public async Task CheckAsync_MailFrom_ChecksItsDomain()
    {
        var zone = new InMemoryDnsZone()
            .Add("sender.example.test", DnsRecordType.Txt, "v=spf1 ip4:192.0.2.10 -all")
            .Add("mail.example.test", DnsRecordType.Txt, "v=spf1 -all");

        var result = await new SpfEvaluator(zone).CheckAsync(new MailConnectionInfo(Client, "mail.example.test", "<bob@sender.example.test>"));

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Equal(SpfEvaluator.IdentityMailFrom, result.Identity);
        Assert.Equal("sender.example.test", result.Domain);
    }

    [Fact]
    public async Task CheckAsync_HeloCheckFails_ReturnsTheHeloFail()
    {
        var zone = new InMemoryDnsZone()
            .Add("sender.example.test", DnsRecordType.Txt, "v=spf1 ip4:192.0.2.10 -all")
            .Add("mail.example.test", DnsRecordType.Txt, "v=spf1 -all");
        var connection = new MailConnectionInfo(Client, "mail.example.test", "bob@sender.example.test");

        var withHelo = await new SpfEvaluator(zone).CheckAsync(connection, checkHelo: true);

        Assert.Equal(AuthenticationStatus.Fail, withHelo.Status);
        Assert.Equal(SpfEvaluator.IdentityHelo, withHelo.Identity);
    }

    [Fact]
    public async Task CheckAsync_NoClientAddressOrNoIdentity_None()
    {
        var evaluator = new SpfEvaluator(new ThrowingResolver());

        Assert.Equal(AuthenticationStatus.None, (await evaluator.CheckAsync(new MailConnectionInfo(null, "h.example.test", "a@example.test"))).Status);
        Assert.Equal(AuthenticationStatus.None, (await evaluator.CheckAsync(new MailConnectionInfo(Client, null, null))).Status);
    }

    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%{S}", "strong-bad%40email.example.com")]
    [InlineData("%%%_%-", "% %20")]
    public void Expand_Rfc7208Examples_GiveTheRfcText(string macro, string expected)
    {
        // RFC 7208 section 7.4, sender strong-bad@email.example.com, IPv4 client 192.0.2.3.
        var values = new SpfMacroValues("strong-bad@email.example.com", "strong-bad", "email.example.com", "email.example.com",
            IPAddress.Parse("192.0.2.3"), "mx.example.org", "unknown", "unknown", 0);
        Assert.True(SpfMacro.IsValidMacroString(macro, explanation: false, out _, out var error), error);

        Assert.Equal(expected, SpfMacro.Expand(macro, values));
    }

    [Fact]
    public void Expand_Ipv6Client_GivesNibbles()
    {
        var values = new SpfMacroValues("a@email.example.com", "a", "email.example.com", "email.example.com",
            IPAddress.Parse("2001:db8::cb01"), "h", "unknown", "unknown", 0);

        Assert.Equal("1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com", SpfMacro.Expand("%{ir}.%{v}._spf.%{d2}", values));
    }

    private sealed class ThrowingResolver : IDnsResolver
    {
        public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("resolver bug");
    }

    /// <summary>Never answers and ignores the token, as a broken resolver might.</summary>
    private sealed class HangingResolver : IDnsResolver
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
        {
            Started.TrySetResult();
            return new ValueTask<DnsAnswer>(new TaskCompletionSource<DnsAnswer>().Task);
        }
    }
}
