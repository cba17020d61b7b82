using Microsoft.Extensions.Configuration;
using System.Net;
using System.Text;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using MimeKit;

namespace Mailing.Toolkit.Tests.Security;

public sealed class AuthenticationResultsHeaderTests
{
    private static MailAuthenticationResults Sample(string? explanation = null, string spfDomain = "example.org") => new()
    {
        AuthServId = "mx.example.com",
        Spf = new SpfCheckResult(AuthenticationStatus.Fail, "mailfrom", spfDomain, explanation),
        Dkim = [new DkimSignatureResult(AuthenticationStatus.Pass, "example.org", "sel", "rsa-sha256", SignatureTag: "abcd1234")],
        Arc = new ArcChainResult(AuthenticationStatus.None, 0),
        Dmarc = new DmarcResult(AuthenticationStatus.Pass, "example.org", "example.org", "example.org", DmarcPolicy.Reject, DmarcPolicy.None, DkimAligned: true),
    };

    [Fact]
    public void Format_Results_WritesRfc8601Methods()
    {
        var value = AuthenticationResultsHeader.Format(Sample("not allowed"));

        Assert.Equal(
            "mx.example.com; spf=fail (not allowed) smtp.mailfrom=example.org; dkim=pass header.d=example.org header.s=sel header.a=rsa-sha256 header.b=abcd1234; arc=none; dmarc=pass (p=reject dis=none) header.from=example.org",
            value);
    }

    [Fact]
    public void Format_ThenTryParse_RoundTrips()
    {
        Assert.True(AuthenticationResultsHeader.TryParse(AuthenticationResultsHeader.Format(Sample("not allowed")), out var parsed));

        Assert.Equal("mx.example.com", parsed.AuthServId);
        Assert.Equal(AuthenticationStatus.Fail, parsed.Spf.Status);
        Assert.Equal("example.org", parsed.Spf.Domain);
        var dkim = Assert.Single(parsed.Dkim);
        Assert.Equal(("example.org", "sel", "rsa-sha256", "abcd1234"), (dkim.Domain, dkim.Selector, dkim.Algorithm, dkim.SignatureTag));
        Assert.Equal(AuthenticationStatus.Pass, parsed.Dmarc.Status);
        Assert.Equal(DmarcPolicy.Reject, parsed.Dmarc.Policy);
        Assert.Equal("example.org", parsed.Dmarc.Domain);
        Assert.True(parsed.FromTrustedHeader);
    }

    [Theory]
    [InlineData("bad\r\nBcc: victim@example.net")]
    [InlineData("close) dkim=pass (x")]
    [InlineData("nul\0byte and \\ backslash")]
    public void Format_HostileExplanation_CannotBreakOutOfTheComment(string explanation)
    {
        var value = AuthenticationResultsHeader.Format(Sample(explanation));

        Assert.DoesNotContain('\r', value);
        Assert.DoesNotContain('\n', value);
        Assert.DoesNotContain('\0', value);
        Assert.True(AuthenticationResultsHeader.TryParse(value, out var parsed));
        Assert.Single(parsed.Dkim);
        Assert.Equal(AuthenticationStatus.Fail, parsed.Spf.Status);
    }

    [Fact]
    public void Format_HostileDomain_IsQuoted()
    {
        var value = AuthenticationResultsHeader.Format(Sample(spfDomain: "evil.example; dkim=pass"));

        Assert.Contains("smtp.mailfrom=\"evil.example; dkim=pass\"", value, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_MessageWithForgedHeaderOfOurId_RemovesItAndAddsOursOnTop()
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "Authentication-Results: mx.example.com; dmarc=pass header.from=bank.example\r\n" +
            "Authentication-Results: other.example; spf=pass smtp.mailfrom=x.example\r\n" +
            "From: a@example.org\r\n\r\nbody\r\n")));

        AuthenticationResultsHeader.Apply(message, Sample());

        var headers = message.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value.Trim()).ToArray();
        Assert.Equal(2, headers.Length);
        Assert.StartsWith("mx.example.com; spf=fail", headers[0], StringComparison.Ordinal);
        Assert.StartsWith("other.example;", headers[1], StringComparison.Ordinal);
    }

    [Fact]
    public void ReadTrusted_OnlyTrustedServIdsAreBelieved()
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "Authentication-Results: forger.example; dmarc=pass header.from=bank.example\r\n" +
            "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=user@bank.example; dkim=fail header.d=bank.example; dmarc=fail (p=reject dis=reject) header.from=bank.example\r\n" +
            "From: a@bank.example\r\n\r\nbody\r\n")));

        var trusted = AuthenticationResultsHeader.ReadTrusted(message, ["MX.example.com"]);
        var none = AuthenticationResultsHeader.ReadTrusted(message, ["elsewhere.example"]);

        Assert.NotNull(trusted);
        Assert.Equal(AuthenticationStatus.Fail, trusted.Dmarc.Status);
        Assert.Equal(DmarcPolicy.Reject, trusted.Dmarc.Disposition);
        Assert.Equal("bank.example", trusted.Spf.Domain);
        Assert.False(trusted.AllowsAutomaticReply);
        Assert.Null(none);
    }

    [Theory]
    [InlineData("")]
    [InlineData(";;;")]
    [InlineData("no-methods-here (")]
    public void TryParse_Garbage_ReturnsFalse(string value)
    {
        Assert.False(AuthenticationResultsHeader.TryParse(value, out _));
    }

    [Fact]
    public void ReceivedHeaderFacts_PostfixHeaderFromTrustedHost_GivesClientFacts()
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "Return-Path: <bounce@sender.example>\r\n" +
            "Received: from mail.sender.example (mail.sender.example [192.0.2.25])\r\n\tby mx.example.com (Postfix) with ESMTPS id 4F1;\r\n\tMon, 7 Dec 2026 10:00:00 +0000\r\n" +
            "Received: from forged.example ([198.51.100.1]) by mx.example.com; Mon, 7 Dec 2026 09:00:00 +0000\r\n" +
            "From: a@sender.example\r\n\r\nbody\r\n")));

        var facts = ReceivedHeaderFacts.Find(message, ["mx.example.com"]);

        Assert.NotNull(facts);
        Assert.Equal(IPAddress.Parse("192.0.2.25"), facts.ClientAddress);
        Assert.Equal("mail.sender.example", facts.HeloName);
        Assert.Equal("bounce@sender.example", facts.EnvelopeFrom);
    }

    [Fact]
    public void ReceivedHeaderFacts_EximHeaderAndInternalRelay_ReadsTheBoundaryHop()
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "Received: from relay.example.com ([10.0.0.5]) by store.example.com; Mon, 7 Dec 2026 10:00:01 +0000\r\n" +
            "Received: from rdns.sender.example ([IPv6:2001:db8::25] helo=greeting.sender.example)\r\n\tby relay.example.com with esmtps; Mon, 7 Dec 2026 10:00:00 +0000\r\n" +
            "From: a@sender.example\r\n\r\nbody\r\n")));

        var facts = ReceivedHeaderFacts.Find(message, ["store.example.com", "relay.example.com"]);

        Assert.NotNull(facts);
        Assert.Equal(IPAddress.Parse("2001:db8::25"), facts.ClientAddress);
        Assert.Equal("greeting.sender.example", facts.HeloName);
    }

    [Fact]
    public void ReceivedHeaderFacts_TopHeaderNotFromATrustedHost_GivesNothing()
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "Received: from x.example ([192.0.2.9]) by unknown.example; Mon, 7 Dec 2026 10:00:00 +0000\r\n" +
            "Received: from y.example ([192.0.2.10]) by mx.example.com; Mon, 7 Dec 2026 09:00:00 +0000\r\n" +
            "From: a@sender.example\r\n\r\nbody\r\n")));

        Assert.Null(ReceivedHeaderFacts.Find(message, ["mx.example.com"]));
    }

    [Fact]
    public void ReceivedHeaderFacts_TrustedHopWithoutAddress_DoesNotReadTheHeaderBelow()
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(
            "Received: by mx.example.com (Postfix, from userid 1000); Mon, 7 Dec 2026 10:00:01 +0000\r\n" +
            "Received: from forged.example ([192.0.2.66]) by mx.example.com; Mon, 7 Dec 2026 10:00:00 +0000\r\n" +
            "From: a@sender.example\r\n\r\nbody\r\n")));

        Assert.Null(ReceivedHeaderFacts.Find(message, ["mx.example.com"]));
    }

    [Fact]
    public void ReadTrusted_TrustedIdBelowTheHopFromOutside_IsAForgeryAndIgnored()
    {
        var message = Load(
            "Received: from mx.example.com ([127.0.0.1]) by imap.example.com with LMTP id 7; Mon, 7 Dec 2026 10:00:01 +0000\r\n" +
            "Received: from sender.example (sender.example [203.0.113.5]) by mx.example.com (Postfix); Mon, 7 Dec 2026 10:00:00 +0000\r\n" +
            "Authentication-Results: mx.example.com; dmarc=pass header.from=bank.example\r\n" +
            "From: a@bank.example\r\n\r\nbody\r\n");

        Assert.Null(AuthenticationResultsHeader.ReadTrusted(message, ["mx.example.com"]));
    }

    [Fact]
    public void ReadTrusted_HeaderAddedAboveTheHopFromOutside_IsReadThroughAnInternalLmtpHop()
    {
        var message = Load(
            "Received: from mx.example.com ([127.0.0.1]) by imap.example.com with LMTP id 7; Mon, 7 Dec 2026 10:00:01 +0000\r\n" +
            "Authentication-Results: mx.example.com; dmarc=fail (p=reject dis=reject) header.from=bank.example\r\n" +
            "Received: from sender.example (sender.example [203.0.113.5]) by mx.example.com (Postfix); Mon, 7 Dec 2026 10:00:00 +0000\r\n" +
            "Authentication-Results: mx.example.com; dmarc=pass header.from=bank.example\r\n" +
            "From: a@bank.example\r\n\r\nbody\r\n");

        var results = AuthenticationResultsHeader.ReadTrusted(message, ["mx.example.com"]);

        Assert.Equal(AuthenticationStatus.Fail, results?.Dmarc.Status);
    }

    [Fact]
    public void ReadTrusted_HopFromAnOutsideHostOnAnInternalAddress_EndsTheSearch()
    {
        // A private address alone does not make a hop internal: the client's name must be one of the site's too.
        var message = Load(
            "Received: from laptop.example ([192.168.1.20]) by mx.example.com; Mon, 7 Dec 2026 10:00:01 +0000\r\n" +
            "Authentication-Results: mx.example.com; dmarc=pass header.from=bank.example\r\n" +
            "From: a@bank.example\r\n\r\nbody\r\n");

        Assert.Null(AuthenticationResultsHeader.ReadTrusted(message, ["mx.example.com"]));
    }

    [Theory]
    [InlineData("from x([192.0.2.1]) (rdns.example [203.0.113.5]) by mx.example.com")]
    [InlineData("from x) ([192.0.2.1] (rdns.example [203.0.113.5]) by mx.example.com")]
    public void ReceivedHeaderFacts_HeloWithAParenthesis_GivesNoAddress(string received)
    {
        var hop = ReceivedHeaderFacts.Parse(received + "; Mon, 7 Dec 2026 10:00:00 +0000");

        Assert.Null(hop.Address);
    }

    [Theory]
    [InlineData("from rdns.example ([203.0.113.5] helo=[192.0.2.1]) by mx.example.com", "rdns.example", "192.0.2.1")]
    [InlineData("from [203.0.113.5] (helo=[192.0.2.1]) by mx.example.com", null, "192.0.2.1")]
    [InlineData("from greeting.example (rdns.example [203.0.113.5] (may be forged)) by mx.example.com", "rdns.example", "greeting.example")]
    public void ReceivedHeaderFacts_AddressTheClientWroteInItsGreeting_IsNotTaken(string received, string? fromName, string helo)
    {
        var hop = ReceivedHeaderFacts.Parse(received + "; Mon, 7 Dec 2026 10:00:00 +0000");

        Assert.Equal(IPAddress.Parse("203.0.113.5"), hop.Address);
        Assert.Equal(fromName, hop.FromName);
        Assert.Equal(helo, hop.Helo);
    }

    private static MimeMessage Load(string raw) => MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(raw)));

    [Fact]
    public void AddMailAuthentication_CodeAndConfiguration_CodeWins()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Mailing:Authentication:AuthServId"] = "from-config" }).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.MailingBuilderAuthenticationExtensions.AddMailAuthentication(
            Microsoft.Extensions.DependencyInjection.MailingServiceCollectionExtensions.AddMailing(services, configuration.GetSection("Mailing")),
            o => o.AuthServId = "from-code");

        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);

        Assert.Equal("from-code", Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<MailAuthenticationOptions>>(provider).Value.AuthServId);
    }
}
