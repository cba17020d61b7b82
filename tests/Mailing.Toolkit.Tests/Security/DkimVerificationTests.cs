using System.Text;
using System.Text.Json;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using MimeKit;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Mailing.Toolkit.Tests.Security;

public sealed class DkimVerificationTests
{
    private static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "auth", "dkim");

    public static TheoryData<string, int, string, string, string, string> CorpusSignatures()
    {
        var data = new TheoryData<string, int, string, string, string, string>();
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "expected.json")));
        foreach (var entry in expected.RootElement.GetProperty("expected").EnumerateArray())
        {
            data.Add(entry.GetProperty("file").GetString()!, entry.GetProperty("signature_index").GetInt32(), entry.GetProperty("a").GetString()!,
                entry.GetProperty("d").GetString()!, entry.GetProperty("s").GetString()!, entry.GetProperty("result").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusSignatures))]
    public async Task VerifyAllAsync_CorpusMessage_GivesExpectedResult(string file, int index, string algorithm, string domain, string selector, string result)
    {
        var message = await MimeMessage.LoadAsync(Path.Combine(DataDirectory, file));

        var results = await CreateVerifier(CorpusZone()).VerifyAllAsync(message, default);

        var signature = results[index];
        Assert.Equal(result, AuthenticationResultsHeader.Lower(signature.Status));
        Assert.Equal(algorithm, signature.Algorithm);
        Assert.Equal(domain, signature.Domain);
        Assert.Equal(selector, signature.Selector);
        Assert.False(signature.UnsignedContent);
        Assert.NotNull(signature.SignatureTag);
    }

    [Fact]
    public async Task VerifyAllAsync_TamperedBody_FailsBothSignatures()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(DataDirectory, "rfc8463-example.msg"));
        Assert.Contains("We lost the game", text, StringComparison.Ordinal);
        var message = Load(text.Replace("We lost the game", "We won the game", StringComparison.Ordinal));

        var results = await CreateVerifier(CorpusZone()).VerifyAllAsync(message, default);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(AuthenticationStatus.Fail, r.Status));
    }

    [Fact]
    public async Task VerifyAllAsync_KeyNotPublished_GivesPermErrorNamingTheSelector()
    {
        var message = await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "gmail.msg"));

        var result = Assert.Single(await CreateVerifier(new InMemoryDnsZone()).VerifyAllAsync(message, default));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("20120113", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAllAsync_ResolverThrows_GivesTempError()
    {
        var message = await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "gmail.msg"));

        var result = Assert.Single(await CreateVerifier(new ThrowingResolver()).VerifyAllAsync(message, default));

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
        Assert.Contains("InvalidOperationException", result.Reason, StringComparison.Ordinal);
    }

    /// <summary>An application's own resolver that breaks its contract by throwing.</summary>
    internal sealed class ThrowingResolver : IDnsResolver
    {
        public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("resolver bug");
    }

    [Fact]
    public async Task VerifyAllAsync_KeyLookupTimesOut_GivesTempError()
    {
        var message = await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "gmail.msg"));
        var zone = new InMemoryDnsZone().AddTimeout("20120113._domainkey.gmail.com");

        var result = Assert.Single(await CreateVerifier(zone).VerifyAllAsync(message, default));

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
    }

    [Fact]
    public async Task VerifyAllAsync_RevokedKey_GivesPermError()
    {
        var message = await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "gmail.msg"));
        var zone = new InMemoryDnsZone().Add("20120113._domainkey.gmail.com", DnsRecordType.Txt, "v=DKIM1; k=rsa; p=");

        var result = Assert.Single(await CreateVerifier(zone).VerifyAllAsync(message, default));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains("revoked", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAllAsync_BodyLengthTagWithAppendedContent_PassesButFlagsUnsignedContent()
    {
        // Signed by an independent implementation (python3-dkim, length=True): l= covers the original body only.
        var zone = new InMemoryDnsZone().Add("lsel._domainkey.signer.example", DnsRecordType.Txt,
            (await File.ReadAllTextAsync(Path.Combine(DataDirectory, "generated", "lsel._domainkey.signer.example.txt"))).Trim());
        var verifier = CreateVerifier(zone, new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

        var intact = Assert.Single(await verifier.VerifyAllAsync(await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "generated", "l-signed.msg")), default));
        var appended = Assert.Single(await verifier.VerifyAllAsync(await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "generated", "l-appended.msg")), default));

        Assert.Equal(AuthenticationStatus.Pass, intact.Status);
        Assert.False(intact.UnsignedContent);
        Assert.Equal(AuthenticationStatus.Pass, appended.Status);
        Assert.True(appended.UnsignedContent);
        Assert.Contains("l=", appended.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=abc=; b", "malformed")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; b=abc=", "no bh= tag")]
    [InlineData("v=2; a=rsa-sha256; d=example.com; s=sel; h=from; bh=abc=; b=abc=", "version")]
    [InlineData("v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=abc=; b=abc=", "RFC 8301")]
    [InlineData("v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=abc=; b=abc=", "unknown algorithm")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=to:subject; bh=abc=; b=abc=", "From")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; i=@other.example; s=sel; h=from; bh=abc=; b=abc=", "i=")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; x=1000; bh=abc=; b=abc=", "expired")]
    [InlineData("v=1; a=rsa-sha256; d=example.com; s=sel; h=from; l=-5; bh=abc=; b=abc=", "l=")]
    [InlineData("v=1; a=rsa-sha256; d=..; s=sel; h=from; bh=abc=; b=abc=", "d=")]
    public async Task VerifyAllAsync_MalformedSignature_GivesPermErrorWithReason(string signature, string reason)
    {
        var message = Load($"DKIM-Signature: {signature}\r\nFrom: a@example.com\r\nSubject: x\r\n\r\nbody\r\n");

        var result = Assert.Single(await CreateVerifier(new InMemoryDnsZone()).VerifyAllAsync(message, default));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains(reason, result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(16384)]
    public async Task VerifyAllAsync_KeyOfAbsurdSize_GivesPermError(int bits)
    {
        var message = await MimeMessage.LoadAsync(Path.Combine(DataDirectory, "gmail.msg"));
        var zone = new InMemoryDnsZone().Add("20120113._domainkey.gmail.com", DnsRecordType.Txt, "v=DKIM1; k=rsa; p=" + FabricatedRsaKey(bits));

        var result = Assert.Single(await CreateVerifier(zone).VerifyAllAsync(message, default));

        Assert.Equal(AuthenticationStatus.PermError, result.Status);
        Assert.Contains($"{bits} bits", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAllAsync_MoreSignaturesThanTheLimit_ChecksOnlyTheLimit()
    {
        var headers = string.Concat(Enumerable.Repeat("DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=abc=; b=abc=\r\n", 5));
        var message = Load(headers + "From: a@example.com\r\n\r\nbody\r\n");

        var results = await new DkimSignatureVerifier(new DnsDkimKeyLocator(new InMemoryDnsZone()), TimeProvider.System, maximumSignatures: 3).VerifyAllAsync(message, default);

        Assert.Equal(4, results.Count);
        Assert.Contains("more than 3", results[3].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAllAsync_Unsigned_GivesNoResults()
    {
        var message = Load("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n");

        Assert.Empty(await CreateVerifier(new InMemoryDnsZone()).VerifyAllAsync(message, default));
    }

    [Theory]
    [InlineData("simple/simple", "line one\r\nline two\r\n\r\n\r\n", 20)]
    [InlineData("relaxed/relaxed", "line  one \t\r\nline two\r\n\r\n", 20)]
    [InlineData("relaxed/simple", "a\r\n", 3)]
    [InlineData("relaxed/relaxed", "", 0)]
    [InlineData("simple/simple", "", 2)]
    public void CanonicalBodyLength_Canonicalization_CountsWhatIsSigned(string canonicalization, string body, long expected)
    {
        var message = Load("From: a@example.com\r\nContent-Type: text/plain\r\n\r\n" + body);

        Assert.Equal(expected, DkimSignatureVerifier.CanonicalBodyLength(message, canonicalization));
    }

    internal static InMemoryDnsZone CorpusZone()
    {
        var zone = new InMemoryDnsZone();
        using var dns = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "dns.json")));
        foreach (var record in dns.RootElement.EnumerateObject())
            zone.Add(record.Name, DnsRecordType.Txt, record.Value.GetString()!);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "expected.json")));
        foreach (var record in expected.RootElement.GetProperty("dns_extra").EnumerateObject())
            zone.Add(record.Name, DnsRecordType.Txt, record.Value.GetString()!);
        return zone;
    }

    private static DkimSignatureVerifier CreateVerifier(IDnsResolver resolver, DateTimeOffset? now = null)
    {
        TimeProvider time = now is { } at ? new Microsoft.Extensions.Time.Testing.FakeTimeProvider(at) : TimeProvider.System;
        return new DkimSignatureVerifier(new DnsDkimKeyLocator(resolver), time, maximumSignatures: 10);
    }

    private static MimeMessage Load(string text) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    /// <summary>An RSA public key of exactly <paramref name="bits"/> bits, base64 SubjectPublicKeyInfo; no private key exists for it.</summary>
    private static string FabricatedRsaKey(int bits)
    {
        var two = Org.BouncyCastle.Math.BigInteger.Two;
        var modulus = new Org.BouncyCastle.Math.BigInteger(bits, new SecureRandom()).SetBit(bits - 1).SetBit(0);
        RsaKeyParameters? key = null;
        while (key is null)
        {
            // BouncyCastle refuses a modulus with a small prime factor; step to the next odd number until it has none.
            try
            {
                key = new RsaKeyParameters(false, modulus, Org.BouncyCastle.Math.BigInteger.ValueOf(65537));
            }
            catch (ArgumentException)
            {
                modulus = modulus.Add(two);
            }
        }

        return Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(key).GetDerEncoded());
    }
}
