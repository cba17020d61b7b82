using System.Net;
using System.Text;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using static Mailing.Toolkit.Tests.Security.DkimSigningTests;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// Sealing forwarded mail through the public surface (<c>AddArcSealing</c>, <see cref="IArcSealer"/>): the results of
/// our own <see cref="IMailAuthenticator"/> go into the ARC-Authentication-Results, and every seal is checked by our
/// <see cref="ArcChainVerifier"/> and by dkimpy.
/// </summary>
public sealed class ArcSealingTests
{
    private static readonly DkimTestKey Origin = DkimTestKey.Rsa();
    private static readonly DkimTestKey Forwarder = DkimTestKey.Rsa();
    private static readonly DkimTestKey List = DkimTestKey.Rsa();

    private static readonly Dictionary<string, string> Records = new()
    {
        ["o2026._domainkey.origin.test"] = Origin.DnsRecord,
        ["arc2026._domainkey.forwarder.test"] = Forwarder.DnsRecord,
        ["arc._domainkey.lists.test"] = List.DnsRecord,
        ["origin.test"] = "v=spf1 ip4:192.0.2.0/24 -all",
        ["_dmarc.origin.test"] = "v=DMARC1; p=reject",
    };

    [SkippableFact]
    public async Task Seal_ForwardedMessage_FirstInstanceVerifiesInBothVerifiers()
    {
        var message = SignedAtOrigin();
        var results = await AuthenticateAsync(message, "mx.forwarder.test");
        using var provider = Start(o => o.Keys.Add(Key("forwarder.test", "arc2026", Forwarder)));

        var result = provider.GetRequiredService<IArcSealer>().Seal(message, results);

        Assert.Equal(new ArcSealResult(true, 1, AuthenticationStatus.None), result);
        var seal = ArcOracle.Tags(message.Headers[0].Value);
        Assert.Equal(("1", "none", "forwarder.test", "arc2026", "rsa-sha256"), (seal["i"], seal["cv"], seal["d"], seal["s"], seal["a"]));
        var h = ArcOracle.Tags(message.Headers[1].Value)["h"].Split(':');
        Assert.Contains("from", h);
        Assert.Contains("dkim-signature", h);
        await AssertPassesAsync(message, instances: 1);
    }

    [Fact]
    public async Task Seal_AuthenticationResults_WrittenIntoTheAarAndReadBack()
    {
        var message = SignedAtOrigin();
        var results = await AuthenticateAsync(message, "mx.forwarder.test");
        using var provider = Start(o => o.Keys.Add(Key("forwarder.test", "arc2026", Forwarder)));

        provider.GetRequiredService<IArcSealer>().Seal(message, results);

        var aar = Assert.Single(message.Headers, h => h.Id == HeaderId.ArcAuthenticationResults).Value;
        Assert.StartsWith("i=1; mx.forwarder.test;", ArcOracle.Normalize(aar), StringComparison.Ordinal);
        Assert.True(AuthenticationResultsHeader.TryParse(aar[(aar.IndexOf(';', StringComparison.Ordinal) + 1)..], out var read));
        Assert.Equal("mx.forwarder.test", read.AuthServId);
        Assert.Equal(AuthenticationStatus.Pass, read.Spf.Status);
        Assert.Equal("origin.test", read.Spf.Domain);
        var dkim = Assert.Single(read.Dkim);
        Assert.Equal((AuthenticationStatus.Pass, "origin.test", "o2026"), (dkim.Status, dkim.Domain, dkim.Selector));
        Assert.Equal(AuthenticationStatus.None, read.Arc.Status);
        Assert.Equal((AuthenticationStatus.Pass, "origin.test"), (read.Dmarc.Status, read.Dmarc.Domain));
    }

    [Fact]
    public async Task Seal_AuthServIdConfigured_OverridesTheResultsId()
    {
        var message = SignedAtOrigin();
        var results = await AuthenticateAsync(message, "checker.internal");
        using var provider = Start(o =>
        {
            o.AuthServId = "forwarder.test";
            o.Keys.Add(Key("forwarder.test", "arc2026", Forwarder));
        });

        provider.GetRequiredService<IArcSealer>().Seal(message, results);

        Assert.StartsWith("i=1; forwarder.test;", ArcOracle.Normalize(message.Headers[HeaderId.ArcAuthenticationResults]!), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Seal_TamperedAfterSealing_FailsInBothVerifiers()
    {
        var message = await SealedOnceAsync();
        ((TextPart)message.Body!).Text += "An added line.\n";

        var ours = await Verify(message);
        var oracle = await ArcOracle.VerifyAsync(message, Records);

        Assert.Equal(AuthenticationStatus.Fail, ours.Status);
        Assert.Equal("fail", oracle.Cv);
        Assert.False(oracle.Sets[0].MessageSignatureValid);
    }

    [SkippableFact]
    public async Task Seal_OnValidChain_AddsInstanceTwoThatStillPasses()
    {
        var message = await SealedOnceAsync();
        var results = await AuthenticateAsync(message, "mx.lists.test");
        Assert.Equal(AuthenticationStatus.Pass, results.Arc.Status);
        var sealer = Sealer(Key("lists.test", "arc", List));

        var result = sealer.Seal(message, results);

        Assert.Equal(new ArcSealResult(true, 2, AuthenticationStatus.Pass), result);
        var seal = ArcOracle.Tags(message.Headers[0].Value);
        Assert.Equal(("2", "pass", "lists.test"), (seal["i"], seal["cv"], seal["d"]));
        Assert.Contains("arc=pass", ArcOracle.Normalize(message.Headers[2].Value), StringComparison.Ordinal);
        await AssertPassesAsync(message, instances: 2);
    }

    [SkippableFact]
    public async Task Seal_OnFailedChain_RecordsCvFailOverItsOwnSetOnly_AndTheNextHopAddsNothing()
    {
        var message = await SealedOnceAsync();
        message.Subject = "Changed on the way";   // breaks the i=1 ARC-Message-Signature
        var results = await AuthenticateAsync(message, "mx.lists.test");
        Assert.Equal(AuthenticationStatus.Fail, results.Arc.Status);
        var sealer = Sealer(Key("lists.test", "arc", List));

        var result = sealer.Seal(message, results);

        Assert.Equal(new ArcSealResult(true, 2, AuthenticationStatus.Fail), result);
        Assert.Equal("fail", ArcOracle.Tags(message.Headers[0].Value)["cv"]);
        Assert.Contains("arc=fail", ArcOracle.Normalize(message.Headers[2].Value), StringComparison.Ordinal);
        var oracle = await ArcOracle.VerifyAsync(message, Records);
        Assert.Null(oracle.Cv); // dkimpy: "ARC-Seal[2] reported failure, the chain is terminated"
        Assert.Equal(2, oracle.Sets[0].Instance);
        Assert.True(oracle.Sets[0].MessageSignatureValid, oracle.Output);
        Assert.True(oracle.NewestSealAlone, oracle.Output);
        Assert.Equal(AuthenticationStatus.Fail, (await Verify(message)).Status);

        var headers = message.Headers.Count;
        var next = Sealer(Key("forwarder.test", "arc2026", Forwarder)).Seal(message, await AuthenticateAsync(message, "mx.forwarder.test"));

        Assert.False(next.Sealed);
        Assert.Equal(2, next.Instance);
        Assert.Contains("cv=fail", next.Reason, StringComparison.Ordinal);
        Assert.Equal(headers, message.Headers.Count);
    }

    [Fact]
    public void Seal_FiftySetsAlready_LeavesTheMessageAsItIs()
    {
        var message = Message("alice@origin.test");
        for (var i = ArcSealer.MaxInstances; i >= 1; i--)
        {
            message.Headers.Add(HeaderId.ArcSeal, $"i={i}; a=rsa-sha256; cv={(i == 1 ? "none" : "pass")}; d=x.test; s=s; t=1; b=AAAA");
            message.Headers.Add(HeaderId.ArcMessageSignature, $"i={i}; a=rsa-sha256; d=x.test; s=s; h=from; bh=AAAA; b=AAAA");
            message.Headers.Add(HeaderId.ArcAuthenticationResults, $"i={i}; x.test; arc=pass");
        }

        var headers = message.Headers.Count;
        var result = Sealer(Key("forwarder.test", "arc2026", Forwarder)).Seal(message, Results(AuthenticationStatus.Pass, 50));

        Assert.False(result.Sealed);
        Assert.Equal(50, result.Instance);
        Assert.Contains("at most 50", result.Reason, StringComparison.Ordinal);
        Assert.Equal(headers, message.Headers.Count);
    }

    [Theory]
    [InlineData("no-instance", "its ARC headers are malformed")]
    [InlineData("inner-cv-pass-at-1", "an ARC-Seal below the newest has a cv= other than none (i=1) or pass")]
    public void Seal_ChainMimeKitCannotExtend_NotSealedWithTheReasonAndAWarning(string problem, string expected)
    {
        var message = Message("alice@origin.test");
        if (problem == "no-instance")
        {
            message.Headers.Add(HeaderId.ArcSeal, "a=rsa-sha256; cv=none; d=x.test; s=s; t=1; b=AAAA");
            message.Headers.Add(HeaderId.ArcMessageSignature, "a=rsa-sha256; d=x.test; s=s; h=from; bh=AAAA; b=AAAA");
            message.Headers.Add(HeaderId.ArcAuthenticationResults, "x.test; arc=none");
        }
        else
        {
            for (var i = 2; i >= 1; i--)
            {
                message.Headers.Add(HeaderId.ArcSeal, $"i={i}; a=rsa-sha256; cv=pass; d=x.test; s=s; t=1; b=AAAA");
                message.Headers.Add(HeaderId.ArcMessageSignature, $"i={i}; a=rsa-sha256; d=x.test; s=s; h=from; bh=AAAA; b=AAAA");
                message.Headers.Add(HeaderId.ArcAuthenticationResults, $"i={i}; x.test; arc=pass");
            }
        }

        var logs = new CapturingLoggerProvider();
        var options = new ArcSealingOptions();
        options.Keys.Add(Key("forwarder.test", "arc2026", Forwarder));
        var ring = ArcKeyLoader.Load(options, "Mailing:Arc").Ring!;
        var sealer = new ArcSealer(ring, TimeProvider.System, logs.CreateLogger("arc"));
        var arcHeaders = ArcHeaderCount(message);

        var result = sealer.Seal(message, Results(AuthenticationStatus.Fail, 1));

        Assert.False(result.Sealed);
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
        Assert.Equal(arcHeaders, ArcHeaderCount(message));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8122 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Seal_FortyNineSets_AddsTheFiftieth()
    {
        var message = SignedAtOrigin();
        var sealers = new[] { Sealer(Key("forwarder.test", "arc2026", Forwarder)), Sealer(Key("lists.test", "arc", List)) };
        for (var i = 1; i <= ArcSealer.MaxInstances; i++)
        {
            var results = Results(i == 1 ? AuthenticationStatus.None : AuthenticationStatus.Pass, i - 1);
            Assert.Equal(i, sealers[i % 2].Seal(message, results).Instance);
        }

        Assert.Equal(AuthenticationStatus.Pass, (await Verify(message)).Status);
        Assert.False(sealers[0].Seal(message, Results(AuthenticationStatus.Pass, 50)).Sealed);
    }

    [Theory]
    [InlineData(AuthenticationStatus.None, "arc=none, but the message carries 1 ARC set")]
    [InlineData(AuthenticationStatus.TempError, "arc=temperror: the chain of 1 ARC set(s) could not be checked")]
    public async Task Seal_ResultsThatDoNotFitAChain_Throw(AuthenticationStatus arc, string expected)
    {
        var message = await SealedOnceAsync();
        var headers = message.Headers.Count;

        var error = Assert.Throws<ArgumentException>(() => Sealer(Key("lists.test", "arc", List)).Seal(message, Results(arc, 1)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(headers, message.Headers.Count);
    }

    [Fact]
    public void Seal_ResultsClaimAChainTheMessageDoesNotHave_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Sealer(Key("forwarder.test", "arc2026", Forwarder)).Seal(Message("alice@origin.test"), Results(AuthenticationStatus.Pass, 1)));

        Assert.Contains("arc=pass, but the message carries no ARC set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seal_SealingDomain_PicksThatKey_AndAnUnknownOneIsAnError()
    {
        using var provider = Start(o =>
        {
            o.Keys.Add(Key("forwarder.test", "arc2026", Forwarder));
            o.Keys.Add(Key("lists.test", "arc", List));
        });
        var sealer = provider.GetRequiredService<IArcSealer>();
        var message = Message("alice@origin.test");

        sealer.Seal(message, Results(AuthenticationStatus.None, 0), "LISTS.test");
        var error = Assert.Throws<ArgumentException>(() => sealer.Seal(Message("alice@origin.test"), Results(AuthenticationStatus.None, 0), "other.test"));

        Assert.Equal("lists.test", ArcOracle.Tags(message.Headers[0].Value)["d"]);
        Assert.Contains("No ARC key for domain 'other.test' in Mailing:Arc:Keys (configured: forwarder.test, lists.test)", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Forward_SealedInAHandlerAndSentWithDkim_TheSentBytesStillVerify()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = DkimHost.Build(
            o => o.Keys.Add(Key("origin.test", "relay", Forwarder)),
            logs: logs,
            mailing: m => m.AddArcSealing(o => o.Keys.Add(Key("forwarder.test", "arc2026", Forwarder))));
        var inbound = SignedAtOrigin();
        ((TextPart)inbound.Body!).ContentTransferEncoding = ContentEncoding.EightBit;
        ((TextPart)inbound.Body!).Text = "Grüße aus Köln.\n";
        var results = await AuthenticateAsync(inbound, "mx.forwarder.test");

        // What a forwarding handler does: seal with the results it was given, then send.
        host.Provider.GetRequiredService<IArcSealer>().Seal(inbound, results);
        await host.SendAsync(inbound);

        var sent = MimeMessage.Load(new MemoryStream(host.Transport.Sent[^1]));
        Assert.Equal(2, sent.Headers.Count(h => h.Id == HeaderId.DkimSignature));
        await AssertPassesAsync(sent, instances: 1);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8120);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8123);
        foreach (var entry in logs.Entries)
            AssertNoKeyMaterial(entry.Message, Forwarder);
    }

    [Fact]
    public void AddArcSealing_FromConfiguration_SealsWithThatKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Arc:AuthServId"] = "mx.forwarder.test",
            ["Mailing:Arc:Keys:0:Domain"] = "forwarder.test",
            ["Mailing:Arc:Keys:0:Selector"] = "arc2026",
            ["Mailing:Arc:Keys:0:PrivateKeyPem"] = Forwarder.Pem,
            ["Mailing:Arc:SignedHeaders:0"] = "From",
            ["Mailing:Arc:SignedHeaders:1"] = "Subject",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing")).AddArcSealing();
        using var provider = services.BuildServiceProvider();
        var message = Message("alice@origin.test");

        provider.GetRequiredService<IArcSealer>().Seal(message, Results(AuthenticationStatus.None, 0));

        Assert.Equal(("forwarder.test", "arc2026"), (ArcOracle.Tags(message.Headers[0].Value)["d"], ArcOracle.Tags(message.Headers[0].Value)["s"]));
        Assert.Equal("from:subject", ArcOracle.Tags(message.Headers[1].Value)["h"]);
        Assert.StartsWith("i=1; mx.forwarder.test;", ArcOracle.Normalize(message.Headers[2].Value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ed25519", "Mailing:Arc:Keys:0:Algorithm is ed25519-sha256, which RFC 8617 does not define for ARC: ARC seals with rsa-sha256 only")]
    [InlineData("rsa-declared-ed-key", "Mailing:Arc:Keys:0:Algorithm is rsa-sha256, which needs an RSA key, but the private key is an Ed25519 key")]
    [InlineData("no-keys", "Mailing:Arc:Keys is empty: add the key this host seals with")]
    [InlineData("no-private-key", "Mailing:Arc:Keys:0 has no private key: set one of PrivateKeyPath, PrivateKeyPem or CertificateThumbprint")]
    [InlineData("missing-file", "Mailing:Arc:Keys:0:PrivateKeyPath: no file at")]
    [InlineData("no-domain", "Mailing:Arc:Keys:0:Domain is required: the domain this host seals as")]
    [InlineData("no-selector", "Mailing:Arc:Keys:0:Selector is required")]
    [InlineData("two-keys-one-domain", "Mailing:Arc:Keys:1 is a second key for domain 'forwarder.test'")]
    [InlineData("short-key", "is a 512-bit RSA key: DKIM keys must have at least 1024 bits")]
    [InlineData("subdomains", "Mailing:Arc:Keys:0:SignSubdomains does not apply to ARC")]
    [InlineData("bad-servid", "Mailing:Arc:AuthServId 'mx forwarder' must be a host name")]
    [InlineData("received-signed", "Mailing:Arc:SignedHeaders has 'Received', which covers received")]
    [InlineData("arc-signed", "Mailing:Arc:SignedHeaders has 'ARC-*', which covers arc-seal")]
    [InlineData("no-from", "Mailing:Arc:SignedHeaders must include From")]
    public void AddArcSealing_BadOptions_FailWithAMessageNamingTheKey(string problem, string expected)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Start(o =>
        {
            var key = Key("forwarder.test", "arc2026", Forwarder);
            switch (problem)
            {
                case "ed25519": key = Key("forwarder.test", "arc2026", Ed); break;
                case "rsa-declared-ed-key": key.PrivateKeyPem = Ed.Pem; break;
                case "no-private-key": key.PrivateKeyPem = null; break;
                case "missing-file": key.PrivateKeyPem = null; key.PrivateKeyPath = "/nonexistent/arc.pem"; break;
                case "no-domain": key.Domain = ""; break;
                case "no-selector": key.Selector = " "; break;
                case "short-key": key.PrivateKeyPem = DkimTestKey.Rsa(512).Pem; break;
                case "subdomains": key.SignSubdomains = true; break;
                case "bad-servid": o.AuthServId = "mx forwarder"; break;
                case "received-signed": o.SignedHeaders = ["From", "Received"]; break;
                case "arc-signed": o.SignedHeaders = ["From", "ARC-*"]; break;
                case "no-from": o.SignedHeaders = ["Subject"]; break;
            }

            if (problem != "no-keys")
                o.Keys.Add(key);
            if (problem == "two-keys-one-domain")
                o.Keys.Add(Key("forwarder.test", "arc2027", List));
        }).Dispose());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        AssertNoKeyMaterial(error.Message, Forwarder);
        AssertNoKeyMaterial(error.Message, Ed);
    }

    [Fact]
    public void AddArcSealing_CalledTwice_RegistersOneSealerWithBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddMailing()
            .AddArcSealing(o => o.Keys.Add(Key("forwarder.test", "arc2026", Forwarder)))
            .AddArcSealing(o => o.AuthServId = "mx.forwarder.test");
        using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IArcSealer));
        var message = Message("alice@origin.test");
        provider.GetRequiredService<IArcSealer>().Seal(message, Results(AuthenticationStatus.None, 0));
        Assert.StartsWith("i=1; mx.forwarder.test;", ArcOracle.Normalize(message.Headers[2].Value), StringComparison.Ordinal);
    }

    private static readonly DkimTestKey Ed = DkimSigningTests.Ed;

    private static int ArcHeaderCount(MimeMessage message) =>
        message.Headers.Count(h => h.Id is HeaderId.ArcSeal or HeaderId.ArcMessageSignature or HeaderId.ArcAuthenticationResults);

    /// <summary>A message as origin.test sends it: DKIM-signed by its own key.</summary>
    private static MimeMessage SignedAtOrigin()
    {
        var message = Message("Alice <alice@origin.test>");
        message.MessageId = "forward-1@origin.test";
        message.Prepare(EncodingConstraint.SevenBit);
        var key = PrivateKey(Origin);
        var signer = new DkimSigner(key, "origin.test", "o2026")
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(ArcOracle.Wire, message, ["From", "To", "Subject", "Date", "Message-ID"]);
        return message;
    }

    [Fact]
    public async Task Verify_SealKeyLookupTimesOut_GivesTempErrorNotFail()
    {
        var message = await SealedOnceAsync();
        var zone = new InMemoryDnsZone().AddTimeout("arc2026._domainkey.forwarder.test");

        var result = await new ArcChainVerifier(new DnsDkimKeyLocator(zone)).VerifyAsync(MimeMessage.Load(new MemoryStream(ArcOracle.Bytes(message))), default);

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
    }

    private static async Task<MimeMessage> SealedOnceAsync()
    {
        var message = SignedAtOrigin();
        var result = Sealer(Key("forwarder.test", "arc2026", Forwarder)).Seal(message, await AuthenticateAsync(message, "mx.forwarder.test"));
        Assert.True(result.Sealed);
        return message;
    }

    /// <summary>Our authenticator over the test zone, with the origin's relay as the connecting client.</summary>
    private static async Task<MailAuthenticationResults> AuthenticateAsync(MimeMessage message, string servId)
    {
        var zone = Zone();
        var authenticator = new MailAuthenticator(zone, new MailAuthenticationOptions { AuthServId = servId }, TimeProvider.System, NullLogger<MailAuthenticator>.Instance);
        var copy = MimeMessage.Load(new MemoryStream(ArcOracle.Bytes(message)));
        return await authenticator.AuthenticateAsync(copy, new MailConnectionInfo(IPAddress.Parse("192.0.2.10"), "relay.origin.test", "alice@origin.test"));
    }

    private static MailAuthenticationResults Results(AuthenticationStatus arc, int instances) => new()
    {
        AuthServId = "mx.forwarder.test",
        Spf = new SpfCheckResult(AuthenticationStatus.Pass, "mailfrom", "origin.test"),
        Arc = new ArcChainResult(arc, instances),
        Dmarc = new DmarcResult(AuthenticationStatus.Pass, "origin.test"),
    };

    private static async Task AssertPassesAsync(MimeMessage message, int instances)
    {
        var ours = await Verify(message);
        Assert.True(ours.Status == AuthenticationStatus.Pass, ours.Reason);
        Assert.Equal(instances, ours.Instances);
        var oracle = await ArcOracle.VerifyAsync(message, Records);
        Assert.True(oracle.Cv == "pass", oracle.Output);
        Assert.Equal(instances, oracle.Sets.Count);
        Assert.All(oracle.Sets, s => Assert.True(s.SealValid && s.MessageSignatureValid, oracle.Output));
    }

    private static ValueTask<ArcChainResult> Verify(MimeMessage message) =>
        new ArcChainVerifier(new DnsDkimKeyLocator(Zone())).VerifyAsync(MimeMessage.Load(new MemoryStream(ArcOracle.Bytes(message))), default);

    private static InMemoryDnsZone Zone()
    {
        var zone = new InMemoryDnsZone();
        foreach (var (name, value) in Records)
            zone.Add(name, DnsRecordType.Txt, value);
        return zone;
    }

    private static Org.BouncyCastle.Crypto.AsymmetricKeyParameter PrivateKey(DkimTestKey key)
    {
        var options = new ArcSealingOptions();
        options.Keys.Add(Key("x.test", "s", key));
        var (ring, errors) = ArcKeyLoader.Load(options, "test");
        Assert.True(ring is not null, string.Join('\n', errors));
        return ring.Keys[0].PrivateKey;
    }

    private static ArcSealer Sealer(DkimSigningKey key)
    {
        var options = new ArcSealingOptions();
        options.Keys.Add(key);
        var (ring, errors) = ArcKeyLoader.Load(options, "Mailing:Arc");
        Assert.True(ring is not null, string.Join('\n', errors));
        return new ArcSealer(ring, TimeProvider.System, NullLogger.Instance);
    }

    private static ServiceProvider Start(Action<ArcSealingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddMailing().AddArcSealing(configure);
        var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IArcSealer>();
            return provider;
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }
}
