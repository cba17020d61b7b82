using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.Sending;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// A server under test and the three ways of sending to it that the benchmarks compare. All three get the
/// same settings: security, credentials, the pinned certificate, and no revocation check (a self-signed
/// certificate has nothing to check, and only the loopback network exists here).
/// </summary>
internal sealed class SmtpTarget(string host, int port, SecureSocketOptions security, NetworkCredential? credentials = null, X509Certificate2? certificate = null)
{
    public string Host { get; } = host;

    public int Port { get; } = port;

    public override string ToString() => $"{Host}:{Port} ({security}{(credentials is null ? "" : ", AUTH")})";

    /// <summary>(a) What many wrappers do: a new client per message that connects, (authenticates,) sends and says QUIT.</summary>
    public async Task SendWithNewClientAsync(MimeMessage message)
    {
        using var client = await ConnectAsync().ConfigureAwait(false);
        await client.SendAsync(message).ConfigureAwait(false);
        await client.DisconnectAsync(quit: true).ConfigureAwait(false);
    }

    /// <summary>A connected (and authenticated) MailKit client, for (a) and for (b)'s persistent clients.</summary>
    public async Task<SmtpClient> ConnectAsync()
    {
        var client = new SmtpClient { CheckCertificateRevocation = false };
        try
        {
            if (certificate is not null)
                client.ServerCertificateValidationCallback = IsPinnedCertificate;
            await client.ConnectAsync(Host, Port, security).ConfigureAwait(false);
            if (credentials is not null)
                await client.AuthenticateAsync(credentials).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>(c) The library's pooled <see cref="IMailSender"/>, one connection per caller.</summary>
    public ServiceProvider CreatePooledSender(int maxConnections)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing(o => o.DefaultFrom = BenchMessages.From)
            .AddSmtpSender(o => ConfigurePool(o, maxConnections));
        return services.BuildServiceProvider();
    }

    private void ConfigurePool(SmtpSenderOptions options, int maxConnections)
    {
        options.Host = Host;
        options.Port = Port;
        options.Security = security;
        options.MaxConnections = maxConnections;
        // Keep every connection for the whole run, as (b) does.
        options.MaxMessagesPerConnection = 100_000;
        options.CheckCertificateRevocation = false;
        if (certificate is not null)
            options.ServerCertificateValidationCallback = IsPinnedCertificate;
        if (credentials is not null)
        {
            options.UserName = credentials.UserName;
            options.Password = credentials.Password;
        }
    }

    // Trust exactly the server's self-signed certificate, nothing else.
    private bool IsPinnedCertificate(object sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors) =>
        presented is not null && certificate is not null && presented.GetRawCertData().AsSpan().SequenceEqual(certificate.RawData);
}
