using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.Security;

public sealed class DnsCacheTests
{
    [Fact]
    public async Task QueryAsync_AnswerWithinTtl_IsServedFromTheCache()
    {
        var (cache, inner, time) = Create(new DnsResolverOptions());
        inner.Answer = DnsAnswer.Found(["v=spf1 -all"], TimeSpan.FromSeconds(60));

        await cache.QueryAsync("example.com", DnsRecordType.Txt);
        time.Advance(TimeSpan.FromSeconds(59));
        await cache.QueryAsync("EXAMPLE.com.", DnsRecordType.Txt);
        time.Advance(TimeSpan.FromSeconds(2));
        await cache.QueryAsync("example.com", DnsRecordType.Txt);

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task QueryAsync_NegativeAnswer_IsCachedNoLongerThanTheNegativeCap()
    {
        var options = new DnsResolverOptions { MaximumNegativeTimeToLive = TimeSpan.FromSeconds(30) };
        var (cache, inner, time) = Create(options);
        inner.Answer = DnsAnswer.NotFound(TimeSpan.FromHours(1));

        await cache.QueryAsync("nx.example", DnsRecordType.A);
        time.Advance(TimeSpan.FromSeconds(29));
        var cached = await cache.QueryAsync("nx.example", DnsRecordType.A);
        time.Advance(TimeSpan.FromSeconds(2));
        await cache.QueryAsync("nx.example", DnsRecordType.A);

        Assert.Equal(DnsQueryStatus.NameError, cached.Status);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task QueryAsync_PositiveAnswer_IsCachedNoLongerThanTheMaximumTtl()
    {
        var (cache, inner, time) = Create(new DnsResolverOptions { MaximumTimeToLive = TimeSpan.FromMinutes(1) });
        inner.Answer = DnsAnswer.Found(["192.0.2.1"], TimeSpan.FromDays(1));

        await cache.QueryAsync("example.com", DnsRecordType.A);
        time.Advance(TimeSpan.FromSeconds(61));
        await cache.QueryAsync("example.com", DnsRecordType.A);

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task QueryAsync_TemporaryFailure_IsNeverCached()
    {
        var (cache, inner, _) = Create(new DnsResolverOptions());
        inner.Answer = DnsAnswer.Failed("timeout");

        await cache.QueryAsync("example.com", DnsRecordType.Txt);
        await cache.QueryAsync("example.com", DnsRecordType.Txt);

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task QueryAsync_MoreNamesThanTheCacheSize_KeepsTheCacheBounded()
    {
        var (cache, inner, time) = Create(new DnsResolverOptions { CacheSize = 100 });
        inner.Answer = DnsAnswer.Found(["x"], TimeSpan.FromMinutes(5));

        for (var i = 0; i < 1000; i++)
        {
            await cache.QueryAsync($"n{i}.example", DnsRecordType.Txt);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // Full, it drops the tenth closest to expiring (11 entries) at once: never above the size, never far below.
        Assert.InRange(cache.Count, 90, 100);
        await cache.QueryAsync("n999.example", DnsRecordType.Txt);
        Assert.Equal(1000, inner.Calls);
        await cache.QueryAsync("n0.example", DnsRecordType.Txt);
        Assert.Equal(1001, inner.Calls);
    }

    [Fact]
    public async Task QueryAsync_CacheSizeZero_AsksEveryTime()
    {
        var (cache, inner, _) = Create(new DnsResolverOptions { CacheSize = 0 });
        inner.Answer = DnsAnswer.Found(["x"], TimeSpan.FromMinutes(5));

        await cache.QueryAsync("example.com", DnsRecordType.Txt);
        await cache.QueryAsync("example.com", DnsRecordType.Txt);

        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task InMemoryDnsZone_FromJson_AnswersRecordsNoDataAndNxDomain()
    {
        var zone = InMemoryDnsZone.FromJson("""
            {"example.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"], "MX": ["10 mx.example.com"]},
             "sel._domainkey.example.com": {"TXT": ["v=DKIM1; p=abc"]},
             "slow.example.com": {"TIMEOUT": true}}
            """);

        Assert.Equal(["v=spf1 ip4:192.0.2.0/24 -all"], (await zone.QueryAsync("Example.COM.", DnsRecordType.Txt)).Records);
        Assert.Equal(DnsQueryStatus.Success, (await zone.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Empty((await zone.QueryAsync("example.com", DnsRecordType.A)).Records);
        Assert.Equal(DnsQueryStatus.Success, (await zone.QueryAsync("_domainkey.example.com", DnsRecordType.Txt)).Status);
        Assert.Equal(DnsQueryStatus.NameError, (await zone.QueryAsync("nx.example.com", DnsRecordType.Txt)).Status);
        Assert.Equal(DnsQueryStatus.TemporaryFailure, (await zone.QueryAsync("slow.example.com", DnsRecordType.Txt)).Status);
    }

    [Theory]
    [InlineData("[1,2]", "JSON object of names")]
    [InlineData("{\"a.example\": [1]}", "'a.example' must be an object")]
    [InlineData("{\"a.example\": {\"SRV\": [\"x\"]}}", "unknown record type 'SRV'")]
    [InlineData("{\"a.example\": {\"TXT\": \"x\"}}", "must be an array")]
    [InlineData("{\"a.example\": {\"TXT\": [1]}}", "strings only")]
    [InlineData("{not json", "not valid JSON")]
    public void InMemoryDnsZone_FromJsonBadShape_ThrowsNamingTheEntry(string json, string message)
    {
        var error = Assert.Throws<FormatException>(() => InMemoryDnsZone.FromJson(json));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static (CachingDnsResolver Cache, FixedResolver Inner, FakeTimeProvider Time) Create(DnsResolverOptions options)
    {
        var inner = new FixedResolver();
        var time = new FakeTimeProvider();
        return (new CachingDnsResolver(inner, options, time), inner, time);
    }

    private sealed class FixedResolver : IDnsResolver
    {
        public DnsAnswer Answer { get; set; } = DnsAnswer.NoData(TimeSpan.FromMinutes(1));

        public int Calls { get; private set; }

        public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
        {
            Calls++;
            return ValueTask.FromResult(Answer);
        }
    }
}
