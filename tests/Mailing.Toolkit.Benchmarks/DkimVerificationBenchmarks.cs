using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Verifying the Gmail-signed corpus message (tests/.../TestData/auth/dkim/gmail.msg) with its key cached. Baseline:
/// raw MimeKit <see cref="DkimVerifier.VerifyAsync(MimeMessage, Header, CancellationToken)"/> with a locator that hands
/// back the parsed key; against it our verifier (tag checks, reasons, the DNS-backed locator on a cached answer),
/// and the whole authenticate step (SPF with two includes, DKIM, ARC, DMARC with its tree walk) on a cached resolver.
/// Run: dotnet run -c Release --project tests/Mailing.Toolkit.Benchmarks -- --filter '*DkimVerification*'
/// </summary>
[MemoryDiagnoser]
public class DkimVerificationBenchmarks
{
    private MimeMessage message = null!;
    private Header signature = null!;
    private DkimVerifier raw = null!;
    private DkimSignatureVerifier ours = null!;
    private MailAuthenticator authenticator = null!;
    private MailConnectionInfo connection = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var data = Path.Combine(TemplateRenderBenchmarks.RepositoryRoot(), "tests", "Mailing.Toolkit.Tests", "TestData", "auth", "dkim");
        message = await MimeMessage.LoadAsync(Path.Combine(data, "gmail.msg"));
        signature = message.Headers.First(h => h.Id == HeaderId.DkimSignature);
        using var expected = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data, "expected.json")));
        var record = expected.RootElement.GetProperty("dns_extra").GetProperty("20120113._domainkey.gmail.com").GetString()!;

        var zone = new InMemoryDnsZone()
            .Add("20120113._domainkey.gmail.com", DnsRecordType.Txt, record)
            .Add("_dmarc.gmail.com", DnsRecordType.Txt, "v=DMARC1; p=none; sp=quarantine")
            .Add("gmail.com", DnsRecordType.Txt, "v=spf1 include:_netblocks.google.test include:_netblocks2.google.test ~all")
            .Add("_netblocks.google.test", DnsRecordType.Txt, "v=spf1 ip4:64.233.160.0/19 ip4:66.102.0.0/20 ~all")
            .Add("_netblocks2.google.test", DnsRecordType.Txt, "v=spf1 ip4:209.85.128.0/17 ~all");
        var cached = new CachingDnsResolver(zone, new DnsResolverOptions(), TimeProvider.System);

        raw = new DkimVerifier(new ParsedKeyLocator(record));
        ours = new DkimSignatureVerifier(new DnsDkimKeyLocator(cached), TimeProvider.System, maximumSignatures: 10);
        authenticator = new MailAuthenticator(cached, new MailAuthenticationOptions { AuthServId = "mx.bench" }, TimeProvider.System, NullLogger<MailAuthenticator>.Instance);
        connection = new MailConnectionInfo(IPAddress.Parse("209.85.220.41"), "mail-vx0-f169.google.com", "jeff@gmail.com");

        if (!await raw.VerifyAsync(message, signature) || (await ours.VerifyAllAsync(message, default))[0].Status != AuthenticationStatus.Pass)
            throw new InvalidOperationException("the Gmail message does not verify");
        var all = await authenticator.AuthenticateAsync(message, connection);
        if (all.Spf.Status != AuthenticationStatus.Pass || all.Dmarc.Status != AuthenticationStatus.Pass)
            throw new InvalidOperationException($"authenticate gave SPF {all.Spf.Status}, DMARC {all.Dmarc.Status}");
    }

    [Benchmark(Baseline = true, Description = "MimeKit DkimVerifier.VerifyAsync")]
    public Task<bool> RawVerify() => raw.VerifyAsync(message, signature);

    [Benchmark(Description = "DkimSignatureVerifier (cached key)")]
    public async Task<AuthenticationStatus> OurVerify() => (await ours.VerifyAllAsync(message, default))[0].Status;

    [Benchmark(Description = "authenticate: SPF + DKIM + ARC + DMARC (cached DNS)")]
    public async Task<AuthenticationStatus> Authenticate() => (await authenticator.AuthenticateAsync(message, connection)).Dmarc.Status;

    private sealed class ParsedKeyLocator : DkimPublicKeyLocatorBase
    {
        private readonly AsymmetricKeyParameter key;

        public ParsedKeyLocator(string record) => key = GetPublicKey(record);

        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) => key;

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) => Task.FromResult(key);
    }
}
