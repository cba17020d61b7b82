using Mailing.Toolkit.Security;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>Options, key choice and header selection of DKIM signing; the signatures themselves are checked by the oracles in <see cref="DkimOracleTests"/>.</summary>
public sealed class DkimSigningTests
{
    internal static readonly DkimTestKey Rsa = DkimTestKey.Rsa();
    internal static readonly DkimTestKey Ed = DkimTestKey.Ed25519();

    [Fact]
    public async Task SendAsync_FromConfiguredDomain_AddsOneSignatureWithTheConfiguredTags()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var host = DkimHost.Build(o => o.Keys.Add(Key("example.test", "s2026", Rsa)), time: time);

        var signature = Assert.Single(await host.SendAsync(Message("news@example.test")), h => h.Id == HeaderId.DkimSignature);

        var tags = Tags(signature.Value);
        Assert.Equal("rsa-sha256", tags["a"]);
        Assert.Equal("example.test", tags["d"]);
        Assert.Equal("s2026", tags["s"]);
        Assert.Equal("relaxed/relaxed", tags["c"]);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), tags["t"]);
        Assert.False(tags.ContainsKey("x"));
        Assert.False(tags.ContainsKey("i"));
    }

    [Fact]
    public async Task SendAsync_DefaultHeaders_SignsThosePresentAndOversignsFrom()
    {
        await using var host = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa)));
        var message = Message("news@example.test");
        message.Headers.Add("List-Unsubscribe", "<https://example.test/u/1>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        message.Headers.Add("X-Campaign", "7");

        var headers = await host.SendAsync(message);

        var h = Tags(headers[HeaderId.DkimSignature])["h"].Split(':');
        Assert.Equal(2, h.Count(n => n.Equals("from", StringComparison.OrdinalIgnoreCase)));
        Assert.Contains("subject", h, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("date", h, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("message-id", h, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("content-type", h, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("list-unsubscribe", h, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("list-unsubscribe-post", h, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("x-campaign", h, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("cc", h, StringComparer.OrdinalIgnoreCase); // absent, and not oversigned
    }

    [Fact]
    public async Task SendAsync_HeaderPresentTwice_IsListedTwice()
    {
        await using var host = DkimHost.Build(o =>
        {
            o.Keys.Add(Key("example.test", "sel", Rsa));
            o.SignedHeaders = ["From", "Subject", "X-Tag"];
            o.OversignedHeaders = ["From", "Subject"];
        });
        var message = Message("news@example.test");
        message.Headers.Add("X-Tag", "a");
        message.Headers.Add("X-Tag", "b");

        var h = Tags((await host.SendAsync(message))[HeaderId.DkimSignature])["h"].Split(':');

        Assert.Equal(["from", "subject", "x-tag", "x-tag", "from", "subject"], h.Select(n => n.ToLowerInvariant()));
    }

    [Fact]
    public async Task SendAsync_TwoKeysOfOneDomain_AddsTwoSignatures()
    {
        await using var host = DkimHost.Build(o =>
        {
            o.Keys.Add(Key("example.test", "rsa1", Rsa));
            o.Keys.Add(Key("example.test", "ed1", Ed));
            o.Keys.Add(Key("other.test", "o1", Rsa));
        });

        var signatures = (await host.SendAsync(Message("a@EXAMPLE.test"))).Where(h => h.Id == HeaderId.DkimSignature).Select(h => Tags(h.Value)).ToList();

        Assert.Equal(2, signatures.Count);
        Assert.Equal(["ed1", "rsa1"], signatures.Select(t => t["s"]).Order());
        Assert.Contains(signatures, t => t["a"] == "ed25519-sha256");
        Assert.All(signatures, t => Assert.Equal("example.test", t["d"]));
    }

    [Fact]
    public async Task SendAsync_Subdomain_SignedByParentOnlyWhenAllowed()
    {
        await using var allowed = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa, k => k.SignSubdomains = true)));
        await using var notAllowed = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa)));

        var signed = await allowed.SendAsync(Message("a@news.eu.example.test"));
        var unsigned = await notAllowed.SendAsync(Message("a@news.example.test"));

        Assert.Equal("example.test", Tags(signed[HeaderId.DkimSignature])["d"]);
        Assert.DoesNotContain(unsigned, h => h.Id == HeaderId.DkimSignature);
    }

    [Fact]
    public async Task SendAsync_LookalikeDomain_IsNotAParentMatch()
    {
        await using var host = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa, k => k.SignSubdomains = true)));

        var headers = await host.SendAsync(Message("a@badexample.test"));

        Assert.DoesNotContain(headers, h => h.Id == HeaderId.DkimSignature);
    }

    [Fact]
    public async Task SendAsync_UnconfiguredDomain_SentUnsignedWithDebugLog()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa)), logs: logs);

        var headers = await host.SendAsync(Message("a@elsewhere.test"));

        Assert.DoesNotContain(headers, h => h.Id == HeaderId.DkimSignature);
        var entry = Assert.Single(logs.Entries, e => e.EventId.Id == 8101);
        Assert.Equal(LogLevel.Debug, entry.Level);
        Assert.Contains("elsewhere.test", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_UnconfiguredDomainWithRequireSignature_RefusedAndNothingSent()
    {
        await using var host = DkimHost.Build(o =>
        {
            o.Keys.Add(Key("example.test", "sel", Rsa));
            o.RequireSignature = true;
        });

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => host.SendAsync(Message("a@elsewhere.test")));

        Assert.Equal("dkim_no_key", ex.ErrorType);
        Assert.False(ex.IsTransient);
        Assert.Contains("elsewhere.test", ex.Message, StringComparison.Ordinal);
        Assert.Empty(host.Transport.Sent);
    }

    [Fact]
    public async Task SendAsync_LifetimeAndAuid_WriteXAndITags()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var host = DkimHost.Build(
            o =>
            {
                o.Keys.Add(Key("example.test", "sel", Rsa, k => k.AgentOrUserIdentifier = "@news.example.test"));
                o.SignatureLifetime = TimeSpan.FromDays(7);
            },
            time: time);

        var tags = Tags((await host.SendAsync(Message("a@example.test")))[HeaderId.DkimSignature]);

        Assert.Equal(long.Parse(tags["t"], System.Globalization.CultureInfo.InvariantCulture) + (7 * 86400), long.Parse(tags["x"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("@news.example.test", tags["i"]);
    }

    [Fact]
    public async Task SendAsync_SameMessageSentTwice_KeepsOneSignaturePerKey()
    {
        await using var host = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa)));
        using var message = Message("a@example.test");
        message.Headers.Add(HeaderId.DkimSignature, "v=1; a=rsa-sha256; d=partner.test; s=p1; h=from; bh=AAAA; b=AAAA");

        await host.SendAsync(message);
        message.Subject = "Changed";
        await host.SendAsync(message);

        var signatures = message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Select(h => Tags(h.Value)["d"]).ToList();
        Assert.Equal(["example.test", "partner.test"], signatures.Order());
    }

    [Fact]
    public async Task SendAsync_EightBitBody_IsPreparedForSevenBitBeforeSigning()
    {
        await using var host = DkimHost.Build(o => o.Keys.Add(Key("example.test", "sel", Rsa)));
        var message = Message("a@example.test");
        message.Body = new TextPart("plain") { Text = "Grüße aus Köln – ça va? " + new string('x', 200) };

        await host.SendAsync(message);

        var sent = host.Transport.Sent.Single();
        Assert.All(sent, b => Assert.True(b < 128, "the signed message must be 7-bit"));
        Assert.NotEqual(ContentEncoding.EightBit, ((TextPart)message.Body!).ContentTransferEncoding);
    }

    [Fact]
    public async Task Pipeline_DkimAddedFirst_StillSignsAfterContentFilters()
    {
        await using var host = DkimHost.Build(
            o => o.Keys.Add(Key("example.test", "sel", Rsa)),
            mailing: m => m.AddOutgoingFilter<FooterFilter>());

        var headers = await host.SendAsync(Message("a@example.test"));

        // The content filter ran before the signature: the header it added comes after the DKIM-Signature at the top.
        Assert.Equal(HeaderId.DkimSignature, headers[0].Id);
        Assert.Equal("yes", headers["X-Footer"]);
        Assert.EndsWith("-- sent by the footer filter", ((TextPart)host.LastMessage!.Body!).Text.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_ValidConfigurationSection_BindsKeysAndOptions()
    {
        using var dir = new TempFolder();
        var pemPath = dir.Write("example.pem", Rsa.Pem);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Dkim:Canonicalization"] = "simple/relaxed",
            ["Mailing:Dkim:SignatureLifetime"] = "3.00:00:00",
            ["Mailing:Dkim:Keys:0:Domain"] = "example.test",
            ["Mailing:Dkim:Keys:0:Selector"] = "sel",
            ["Mailing:Dkim:Keys:0:PrivateKeyPath"] = pemPath,
            ["Mailing:Dkim:Keys:1:Domain"] = "example.test",
            ["Mailing:Dkim:Keys:1:Selector"] = "ed",
            ["Mailing:Dkim:Keys:1:Algorithm"] = "ed25519-sha256",
            ["Mailing:Dkim:Keys:1:PrivateKeyPem"] = Ed.Pem,
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing")).AddDkimSigning();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<DkimSigningOptions>>().Value;

        Assert.Equal(2, options.Keys.Count);
        Assert.Equal("simple/relaxed", options.Canonicalization);
        Assert.Equal(TimeSpan.FromDays(3), options.SignatureLifetime);
        Assert.Single(provider.GetServices<IOutgoingMailFilter>(), f => f.Stage == OutgoingMailFilterStage.Signature);
    }

    [Theory]
    [InlineData("Selector", "", "Mailing:Dkim:Keys:0:Selector is required")]
    [InlineData("Domain", "", "Mailing:Dkim:Keys:0:Domain is required")]
    [InlineData("Domain", "not a domain", "Mailing:Dkim:Keys:0:Domain 'not a domain' is not a domain name")]
    [InlineData("Selector", "bad;sel", "Mailing:Dkim:Keys:0:Selector 'bad;sel' must be DNS labels")]
    [InlineData("Algorithm", "rsa-sha1", "Mailing:Dkim:Keys:0:Algorithm 'rsa-sha1' must be rsa-sha256 or ed25519-sha256")]
    [InlineData("Algorithm", "ed25519-sha256", "Mailing:Dkim:Keys:0:Algorithm is ed25519-sha256, which needs an Ed25519 key, but the private key is an RSA key")]
    [InlineData("AgentOrUserIdentifier", "@other.test", "Mailing:Dkim:Keys:0:AgentOrUserIdentifier '@other.test' must be in Mailing:Dkim:Keys:0:Domain 'example.test'")]
    [InlineData("AgentOrUserIdentifier", "a b@example.test", "Mailing:Dkim:Keys:0:AgentOrUserIdentifier 'a b@example.test' must be an address or '@domain'")]
    [InlineData("AgentOrUserIdentifier", "jürgen@example.test", "Mailing:Dkim:Keys:0:AgentOrUserIdentifier 'jürgen@example.test' must be an address or '@domain'")]
    [InlineData("PrivateKeyPath", "/nonexistent/key.pem", "Mailing:Dkim:Keys:0 sets more than one of PrivateKeyPath, PrivateKeyPem and CertificateThumbprint")]
    public void Start_BadKeyEntry_FailsNamingTheKey(string property, string value, string expected)
    {
        var ex = StartWith(new Dictionary<string, string?>
        {
            ["Mailing:Dkim:Keys:0:Domain"] = "example.test",
            ["Mailing:Dkim:Keys:0:Selector"] = "sel",
            ["Mailing:Dkim:Keys:0:PrivateKeyPem"] = Rsa.Pem,
            [$"Mailing:Dkim:Keys:0:{property}"] = value,
        });

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        AssertNoKeyMaterial(ex.ToString(), Rsa);
    }

    [Theory]
    [InlineData("Canonicalization", "relaxed", "Mailing:Dkim:Canonicalization 'relaxed' must be header/body canonicalization")]
    [InlineData("SignatureLifetime", "00:00:01.5000000", "Mailing:Dkim:SignatureLifetime must be a positive whole number of seconds")]
    [InlineData("SignedHeaders:0", "Subject", "Mailing:Dkim:SignedHeaders must include From")]
    [InlineData("SignedHeaders:1", "Received", "Mailing:Dkim:SignedHeaders has 'Received', which covers received")]
    [InlineData("SignedHeaders:1", "Resent-*", "Mailing:Dkim:SignedHeaders has 'Resent-*', which covers resent-bcc")]
    [InlineData("OversignedHeaders:0", "X-Other", "Mailing:Dkim:OversignedHeaders lists 'X-Other', which Mailing:Dkim:SignedHeaders does not sign")]
    public void Start_BadSigningOption_FailsNamingTheOption(string property, string value, string expected)
    {
        var ex = StartWith(new Dictionary<string, string?>
        {
            ["Mailing:Dkim:Keys:0:Domain"] = "example.test",
            ["Mailing:Dkim:Keys:0:Selector"] = "sel",
            ["Mailing:Dkim:Keys:0:PrivateKeyPem"] = Rsa.Pem,
            ["Mailing:Dkim:SignedHeaders:0"] = "From",
            [$"Mailing:Dkim:{property}"] = value,
        });

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_NoKeys_Fails()
    {
        var ex = StartWith([]);

        Assert.Contains("Mailing:Dkim:Keys is empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_NoKeySource_Fails()
    {
        var ex = StartWith(new Dictionary<string, string?> { ["Mailing:Dkim:Keys:0:Domain"] = "example.test", ["Mailing:Dkim:Keys:0:Selector"] = "sel" });

        Assert.Contains("Mailing:Dkim:Keys:0 has no private key: set one of PrivateKeyPath, PrivateKeyPem or CertificateThumbprint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SameSelectorTwice_Fails()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Start(o =>
        {
            o.Keys.Add(Key("example.test", "sel", Rsa));
            o.Keys.Add(Key("Example.Test", "sel", Ed));
        }));

        Assert.Contains("Mailing:Dkim:Keys:1 repeats selector 'sel' of domain 'example.test'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_MissingKeyFile_FailsNamingKeyAndPath()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "sel", PrivateKeyPath = "/nonexistent/dkim.pem" })));

        Assert.Contains("Mailing:Dkim:Keys:0:PrivateKeyPath: no file at '/nonexistent/dkim.pem'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_KeyFileOverTheSizeLimit_Fails()
    {
        using var dir = new TempFolder();
        var path = dir.Write("huge.pem", new string('A', (64 * 1024) + 1));

        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "sel", PrivateKeyPath = path })));

        Assert.Contains("Mailing:Dkim:Keys:0:PrivateKeyPath", ex.Message, StringComparison.Ordinal);
        Assert.Contains("over the 65536 of any PEM key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_RsaKeyUnder1024Bits_RefusedWithoutShowingTheKey()
    {
        var weak = DkimTestKey.Rsa(768);

        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(Key("example.test", "sel", weak))));

        Assert.Contains("Mailing:Dkim:Keys:0 is a 768-bit RSA key: DKIM keys must have at least 1024 bits", ex.Message, StringComparison.Ordinal);
        AssertNoKeyMaterial(ex.ToString(), weak);
    }

    [Fact]
    public void Start_RsaKeyOver4096Bits_Refused()
    {
        var huge = DkimTestKey.Rsa(4608);

        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(Key("example.test", "sel", huge))));

        Assert.Contains("Mailing:Dkim:Keys:0 is a 4608-bit RSA key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_1024BitRsaKey_IsAccepted()
    {
        using var provider = Start(o => o.Keys.Add(Key("example.test", "sel", DkimTestKey.Rsa(1024))));

        Assert.Single(provider.GetRequiredService<IOptions<DkimSigningOptions>>().Value.Keys);
    }

    [Fact]
    public void Start_GarbledPem_FailsWithoutQuotingIt()
    {
        // A key with a damaged body: the message must not echo any of it.
        var lines = Rsa.Pem.Split('\n');
        var garbled = string.Join('\n', lines.Select((l, i) => i == 3 ? "!!!" + l[3..] : l));

        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "sel", PrivateKeyPem = garbled })));

        Assert.Contains("Mailing:Dkim:Keys:0:PrivateKeyPem is not a readable PEM private key", ex.Message, StringComparison.Ordinal);
        AssertNoKeyMaterial(ex.ToString(), Rsa);
    }

    [Theory]
    [InlineData("not a key at all")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n")]
    public void Start_PemWithoutAPrivateKey_FailsNamingTheEntry(string pem)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "sel", PrivateKeyPem = pem })));

        Assert.Contains("Mailing:Dkim:Keys:0:PrivateKeyPem", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("MCowBQYDK2Vw", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_CertificateNotInStore_FailsNamingThumbprintAndStore()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Start(o => o.Keys.Add(new DkimSigningKey
        {
            Domain = "example.test",
            Selector = "sel",
            CertificateThumbprint = "00112233445566778899AABBCCDDEEFF00112233",
        })));

        Assert.Contains("Mailing:Dkim:Keys:0:CertificateThumbprint", ex.Message, StringComparison.Ordinal);
        Assert.Contains("00112233445566778899AABBCCDDEEFF00112233", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_BadKey_FailsWhenTheHostStartsNotAtFirstSend()
    {
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "a@example.test").AddDkimSigning(o => o.Keys.Add(new DkimSigningKey { Domain = "example.test", Selector = "" }));
        using var provider = services.BuildServiceProvider();

        // What the host's ValidateOnStart runs before anything is sent.
        var startup = provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>();

        var ex = Assert.Throws<OptionsValidationException>(startup.Validate);
        Assert.Contains("Mailing:Dkim:Keys:0:Selector is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_CustomSectionPath_ErrorsNameThatPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Outbound:Signing:Keys:0:Domain"] = "example.test",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing().AddDkimSigning(configuration.GetSection("Outbound:Signing"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DkimSigningOptions>>().Value);

        Assert.Contains("Outbound:Signing:Keys:0:Selector is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyMaterial_NeverInToStringOrLogs()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = DkimHost.Build(o =>
        {
            o.Keys.Add(Key("example.test", "rsa", Rsa));
            o.Keys.Add(Key("example.test", "ed", Ed));
        }, logs: logs);
        await host.SendAsync(Message("a@example.test"));
        await host.SendAsync(Message("a@elsewhere.test"));

        var options = host.Provider.GetRequiredService<IOptions<DkimSigningOptions>>().Value;
        var texts = options.Keys.Select(k => k.ToString()).Append(options.ToString()!).Append(logs.AllText).ToList();
        foreach (var filter in host.Provider.GetServices<IOutgoingMailFilter>())
            texts.Add(filter.ToString()!);

        Assert.Contains(texts, t => t.Contains("rsa._domainkey.example.test", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 8100);
        foreach (var text in texts)
        {
            AssertNoKeyMaterial(text, Rsa);
            AssertNoKeyMaterial(text, Ed);
        }
    }

    internal static void AssertNoKeyMaterial(string text, DkimTestKey key)
    {
        // Any 16 characters of the base64 body would give it away.
        foreach (var line in key.Pem.Split('\n').Where(l => l.Length >= 16 && !l.StartsWith("-----", StringComparison.Ordinal)))
            Assert.DoesNotContain(line[..16], text, StringComparison.Ordinal);
    }

    internal static DkimSigningKey Key(string domain, string selector, DkimTestKey key, Action<DkimSigningKey>? configure = null)
    {
        var result = new DkimSigningKey { Domain = domain, Selector = selector, Algorithm = key.Algorithm, PrivateKeyPem = key.Pem };
        configure?.Invoke(result);
        return result;
    }

    internal static MimeMessage Message(string from)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("bob@receiver.test"));
        message.Subject = "Quarterly report";
        message.Date = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        message.Body = new TextPart("plain") { Text = "Hello Bob,\n\nthe report is attached.\n" };
        return message;
    }

    internal static Dictionary<string, string> Tags(string? value) =>
        (value ?? throw new InvalidOperationException("No DKIM-Signature header.")).Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => string.Concat(p[1].Where(c => !char.IsWhiteSpace(c))));

    private static OptionsValidationException StartWith(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing")).AddDkimSigning();
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DkimSigningOptions>>().Value);
    }

    private static ServiceProvider Start(Action<DkimSigningOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddMailing().AddDkimSigning(configure);
        var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<DkimSigningOptions>>().Value;
            return provider;
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    private sealed class FooterFilter : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
        {
            var part = (TextPart)mail.Message.Body!;
            part.Text += "\n-- sent by the footer filter\n";
            mail.Message.Headers.Add("X-Footer", "yes");
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A container with DKIM signing and a capturing transport.</summary>
internal sealed class DkimHost : IAsyncDisposable
{
    private DkimHost(ServiceProvider provider, CapturingTransport transport)
    {
        Provider = provider;
        Transport = transport;
    }

    public ServiceProvider Provider { get; }

    public CapturingTransport Transport { get; }

    public MimeMessage? LastMessage { get; private set; }

    public static DkimHost Build(Action<DkimSigningOptions> configure, TimeProvider? time = null, CapturingLoggerProvider? logs = null, Action<IMailingBuilder>? mailing = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
                b.AddProvider(logs);
        });
        if (time is not null)
            services.AddSingleton(time);
        var transport = new CapturingTransport();
        services.AddSingleton(transport);
        var builder = services.AddMailing(o => o.DefaultFrom = "app@example.test").AddDkimSigning(configure).AddTransport<CapturingTransport>();
        mailing?.Invoke(builder);
        return new DkimHost(services.BuildServiceProvider(), transport);
    }

    /// <summary>Sends through the real sender pipeline; returns the headers of the bytes the transport received.</summary>
    public async Task<HeaderList> SendAsync(MimeMessage message)
    {
        LastMessage = message;
        await Provider.GetRequiredService<IMailSender>().SendAsync(message);
        var sent = Transport.Sent[^1];
        return MimeMessage.Load(new MemoryStream(sent)).Headers;
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dkim-test-").FullName;

    public string Write(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
