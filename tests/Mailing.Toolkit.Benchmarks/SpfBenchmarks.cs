using System.Net;
using BenchmarkDotNet.Attributes;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// SPF check_host() of a record with two includes, every DNS answer cached (an in-memory zone): the client passes
/// by the second include, so all three records are fetched, parsed and evaluated. Baseline: the three bare TXT
/// lookups the evaluation makes; against it the three records parsed alone, the whole check, and the whole check
/// without its timeout (the timer and linked token each check sets up).
/// Run: dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*Spf*' --job short
/// </summary>
[MemoryDiagnoser]
public class SpfBenchmarks
{
    private const string Domain = "example.test";
    private const string Top = "v=spf1 include:_spf.mail-provider.test include:_spf.crm-vendor.test ip4:198.51.100.7 -all";
    private const string First = "v=spf1 ip4:203.0.113.0/24 ip4:198.18.0.0/15 ip6:2001:db8:1::/48 ~all";
    private const string Second = "v=spf1 ip4:192.0.2.0/25 ip4:192.0.2.128/26 ip6:2001:db8:2::/48 ~all";

    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    private readonly InMemoryDnsZone zone = new InMemoryDnsZone()
        .Add(Domain, DnsRecordType.Txt, Top)
        .Add(Domain, DnsRecordType.Txt, "google-site-verification=abc123")
        .Add("_spf.mail-provider.test", DnsRecordType.Txt, First)
        .Add("_spf.crm-vendor.test", DnsRecordType.Txt, Second);

    private SpfEvaluator evaluator = null!;
    private SpfEvaluator untimed = null!;

    [GlobalSetup]
    public void Setup()
    {
        evaluator = new SpfEvaluator(zone);
        untimed = new SpfEvaluator(zone, new SpfLimits { Timeout = Timeout.InfiniteTimeSpan });
        var result = evaluator.CheckHostAsync(Client, Domain, "bounce@example.test", "mail.example.test").AsTask().GetAwaiter().GetResult();
        if (result.Status != AuthenticationStatus.Pass || result.Mechanism != "include:_spf.crm-vendor.test")
            throw new InvalidOperationException($"the benchmark record gave {result.Status} by {result.Mechanism}");
    }

    [Benchmark(Baseline = true, Description = "3 TXT lookups (in-memory zone)")]
    public async Task<int> Lookups()
    {
        var count = (await zone.QueryAsync(Domain, DnsRecordType.Txt)).Records.Count;
        count += (await zone.QueryAsync("_spf.mail-provider.test", DnsRecordType.Txt)).Records.Count;
        count += (await zone.QueryAsync("_spf.crm-vendor.test", DnsRecordType.Txt)).Records.Count;
        return count;
    }

    [Benchmark(Description = "parse the 3 records")]
    public int Parse() =>
        SpfRecord.Parse(Top, 8192, out _)!.Mechanisms.Count
        + SpfRecord.Parse(First, 8192, out _)!.Mechanisms.Count
        + SpfRecord.Parse(Second, 8192, out _)!.Mechanisms.Count;

    [Benchmark(Description = "CheckHostAsync, 2 includes")]
    public async Task<AuthenticationStatus> CheckHost() =>
        (await evaluator.CheckHostAsync(Client, Domain, "bounce@example.test", "mail.example.test")).Status;

    [Benchmark(Description = "CheckHostAsync, 2 includes, no timeout")]
    public async Task<AuthenticationStatus> CheckHostUntimed() =>
        (await untimed.CheckHostAsync(Client, Domain, "bounce@example.test", "mail.example.test")).Status;
}
