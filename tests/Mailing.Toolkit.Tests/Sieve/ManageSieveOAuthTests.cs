using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mailing.Toolkit.Sieve;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Sieve;

/// <summary>
/// OAUTHBEARER against a scripted ManageSieve server on loopback (the test Dovecot offers no OAuth2): the token goes
/// only after STARTTLS, a rejected token is answered as RFC 7628 asks and replaced by a fresh one once.
/// </summary>
public sealed class ManageSieveOAuthTests
{
    [Fact]
    public async Task Connect_TokenRejectedOnce_RefreshesItAndLogsIn()
    {
        using var certificate = SelfSigned();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var seen = new List<string>();
        var server = ServeAsync(listener, certificate, seen);
        var requests = new List<bool>();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddManageSieve(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = port;
            o.UserName = "anna@example.com";
            o.AccessTokenProvider = (request, _) =>
            {
                requests.Add(request.ForceRefresh);
                return ValueTask.FromResult(request.ForceRefresh ? "fresh-token" : "stale-token");
            };
            o.ServerCertificateValidationCallback = (_, c, _, _) => c is not null && c.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData);
        });
        await using var provider = services.BuildServiceProvider();

        await using (var session = await provider.GetRequiredService<IManageSieveClient>().ConnectAsync())
            Assert.Contains("OAUTHBEARER", session.Capabilities.SaslMechanisms);
        await server;
        listener.Stop();

        Assert.Equal([false, true], requests);
        Assert.Equal("STARTTLS", seen[0]);
        Assert.Contains("auth=Bearer stale-token", seen[1]);
        Assert.Equal("*", seen[2]); // the error challenge is answered by cancelling the exchange (RFC 5804 2.1)
        Assert.Contains("auth=Bearer fresh-token", seen[3]);
        Assert.Equal("LOGOUT", seen[4]);
    }

    /// <summary>One session: capabilities, STARTTLS, capabilities again, a rejected and an accepted OAUTHBEARER, LOGOUT.</summary>
    private static async Task ServeAsync(TcpListener listener, X509Certificate2 certificate, List<string> seen)
    {
        using var client = await listener.AcceptTcpClientAsync();
        Stream stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task SendAsync(string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal)));

        await SendAsync("\"IMPLEMENTATION\" \"scripted\"\n\"SIEVE\" \"fileinto vacation\"\n\"STARTTLS\"\n\"VERSION\" \"1.0\"\nOK \"ready\"\n");
        seen.Add((await reader.ReadLineAsync())!);
        await SendAsync("OK \"begin TLS\"\n");
        var tls = new SslStream(stream);
        await tls.AuthenticateAsServerAsync(certificate);
        stream = tls;
        reader = new StreamReader(stream, Encoding.ASCII);
        await SendAsync("\"IMPLEMENTATION\" \"scripted\"\n\"SASL\" \"OAUTHBEARER PLAIN\"\n\"SIEVE\" \"fileinto vacation\"\n\"VERSION\" \"1.0\"\nOK \"TLS on\"\n");

        var first = (await reader.ReadLineAsync())!;
        seen.Add(Decode(first));
        var error = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"status\":\"invalid_token\"}"));
        await SendAsync($"\"{error}\"\n");
        seen.Add((await reader.ReadLineAsync())!.Trim('"'));
        await SendAsync("NO \"token expired\"\n");
        var second = (await reader.ReadLineAsync())!;
        seen.Add(Decode(second));
        await SendAsync("OK \"logged in\"\n");
        seen.Add((await reader.ReadLineAsync())!);
        await SendAsync("OK \"bye\"\n");
    }

    /// <summary>The initial response of <c>AUTHENTICATE "OAUTHBEARER" "base64"</c>, decoded.</summary>
    private static string Decode(string command)
    {
        var parts = command.Split('"');
        Assert.Equal("AUTHENTICATE ", parts[0]);
        Assert.Equal("OAUTHBEARER", parts[1]);
        return Encoding.UTF8.GetString(Convert.FromBase64String(parts[3]));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
