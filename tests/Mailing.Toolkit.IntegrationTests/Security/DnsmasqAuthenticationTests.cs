using System.Net;
using System.Net.Sockets;
using System.Text;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;

namespace Mailing.Toolkit.IntegrationTests.Security;

/// <summary>SPF, DKIM and DMARC resolved through a real DNS server (dnsmasq on loopback) by the default resolver.</summary>
[Collection(DnsmasqFixture.Collection)]
public sealed class DnsmasqAuthenticationTests(DnsmasqFixture dns)
{
    private static readonly MailConnectionInfo Loopback = new(IPAddress.Loopback, "mail.example.test", "sender@example.test");

    [SkippableFact]
    public async Task AuthenticateAsync_SignedMailFromAnAllowedHost_PassesSpfDkimAndDmarc()
    {
        dns.EnsureAvailable();
        await using var provider = Build();
        var authenticator = provider.GetRequiredService<IMailAuthenticator>();

        var results = await authenticator.AuthenticateAsync(Signed("Quarterly report"), Loopback);

        Assert.True(results.Spf.Status == AuthenticationStatus.Pass, $"SPF {results.Spf.Status}: {results.Spf.Explanation}");
        Assert.Equal("example.test", results.Spf.Domain);
        var dkim = Assert.Single(results.Dkim);
        Assert.Equal(AuthenticationStatus.Pass, dkim.Status);
        Assert.Equal(AuthenticationStatus.Pass, results.Dmarc.Status);
        Assert.Equal(DmarcPolicy.Reject, results.Dmarc.Policy);
        Assert.True(results.Dmarc.SpfAligned);
        Assert.True(results.Dmarc.DkimAligned);
    }

    [SkippableFact]
    public async Task AuthenticateAsync_ForgedSenderFromAnotherHost_FailsWithRejectDisposition()
    {
        dns.EnsureAvailable();
        await using var provider = Build();
        var message = Unsigned("From: Boss <boss@example.test>\r\nSubject: Wire the money\r\n\r\nNow.\r\n");

        var results = await provider.GetRequiredService<IMailAuthenticator>().AuthenticateAsync(message, new MailConnectionInfo(IPAddress.Parse("192.0.2.66"), "evil.example", "boss@example.test"));

        Assert.Equal(AuthenticationStatus.Fail, results.Spf.Status);
        Assert.Empty(results.Dkim);
        Assert.Equal(AuthenticationStatus.Fail, results.Dmarc.Status);
        Assert.Equal(DmarcPolicy.Reject, results.Dmarc.Disposition);
        Assert.False(results.AllowsAutomaticReply);
    }

    [SkippableFact]
    public async Task AuthenticateAsync_SpfIncludeLoop_GivesPermError()
    {
        dns.EnsureAvailable();
        await using var provider = Build();

        var results = await provider.GetRequiredService<IMailAuthenticator>().AuthenticateAsync(
            Unsigned("From: a@loop.example.test\r\nSubject: x\r\n\r\nx\r\n"), new MailConnectionInfo(IPAddress.Loopback, "mail.example.test", "a@loop.example.test"));

        Assert.Equal(AuthenticationStatus.PermError, results.Spf.Status);
    }

    [SkippableFact]
    public async Task QueryAsync_SameNamesTwice_SecondAnswersComeFromTheCache()
    {
        dns.EnsureAvailable();
        await using var provider = Build();
        var resolver = provider.GetRequiredService<IDnsResolver>();
        var name = "nx-" + Guid.NewGuid().ToString("N")[..8] + ".example.test";

        var keyQueriesBefore = dns.QueriesFor("TXT", "sel._domainkey.example.test");

        var first = await resolver.QueryAsync(name, DnsRecordType.Txt);
        var second = await resolver.QueryAsync(name, DnsRecordType.Txt);
        var key = await resolver.QueryAsync("sel._domainkey.example.test", DnsRecordType.Txt);
        await resolver.QueryAsync("sel._domainkey.example.test", DnsRecordType.Txt);

        Assert.Equal(DnsQueryStatus.NameError, first.Status);
        Assert.Equal(DnsQueryStatus.NameError, second.Status);
        Assert.Equal(1, dns.QueriesFor("TXT", name));
        Assert.StartsWith("v=DKIM1; k=rsa; p=MII", Assert.Single(key.Records), StringComparison.Ordinal);
        Assert.DoesNotContain("\"", key.Records[0], StringComparison.Ordinal);
        Assert.Equal(keyQueriesBefore + 1, dns.QueriesFor("TXT", "sel._domainkey.example.test"));
    }

    [SkippableFact]
    public async Task QueryAsync_ServerThatNeverAnswers_GivesTemporaryFailureNotAnException()
    {
        dns.EnsureAvailable();
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.Client.LocalEndPoint!).Port;
        await using var provider = Build($"127.0.0.1:{port}");

        var answer = await provider.GetRequiredService<IDnsResolver>().QueryAsync("example.test", DnsRecordType.Txt);
        var results = await provider.GetRequiredService<IMailAuthenticator>().AuthenticateAsync(Signed("x"), Loopback);

        Assert.Equal(DnsQueryStatus.TemporaryFailure, answer.Status);
        Assert.Equal(AuthenticationStatus.TempError, results.Spf.Status);
        Assert.Equal(AuthenticationStatus.TempError, Assert.Single(results.Dkim).Status);
        Assert.Equal(AuthenticationStatus.TempError, results.Dmarc.Status);
    }

    private ServiceProvider Build(string? server = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Dns:Servers:0"] = server ?? dns.Server,
            ["Mailing:Dns:Timeout"] = "00:00:00.500",
            ["Mailing:Dns:Retries"] = "0",
            ["Mailing:Authentication:AuthServId"] = "mx.test",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing(configuration.GetSection("Mailing")).AddMailAuthentication();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private MimeMessage Signed(string subject)
    {
        var message = Unsigned($"From: Sender <sender@example.test>\r\nTo: bob@example.net\r\nSubject: {subject}\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@example.test>\r\n\r\nHello.\r\n");
        using var key = new MemoryStream(Encoding.ASCII.GetBytes(dns.DkimPrivateKeyPem));
        var signer = new DkimSigner(key, DnsmasqFixture.Domain, DnsmasqFixture.Selector)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        return message;
    }

    private static MimeMessage Unsigned(string text) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));
}
