using System.Text;
using MailKit.Security;
using Mailing.Toolkit.Net;
using Mailing.Toolkit.Sending;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Tests.Sending;

public sealed class SmtpSecurityTests
{
    private const string Password = "pa55-w0rd-TOP-secret";

    [Fact]
    public async Task SendAsync_AutoSecurityAndServerWithoutStartTls_RefusesToSendInPlaintext()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o => o.Security = SecureSocketOptions.Auto);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("tls", ex.ErrorType);
        Assert.False(ex.IsTransient);
        Assert.Contains("does not offer STARTTLS", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_CredentialsOverAConnectionThatStayedPlaintext_NeverSendsAuth()
    {
        await using var server = InProcessSmtpServer.Start();
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Security = SecureSocketOptions.StartTlsWhenAvailable;
            o.UserName = "app";
            o.Password = Password;
        });

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Contains("unencrypted", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.AuthAttempts);
        Assert.Equal(0, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_StartTlsWithAuth_AuthenticatesOverTlsAndLogsNoSecret()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = InProcessSmtpServer.Start(o =>
        {
            o.Certificate = TestCertificates.Localhost;
            o.UserName = "app";
            o.Password = Password;
        });
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Host = "localhost";
            o.Security = SecureSocketOptions.Auto;
            o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
            o.CheckCertificateRevocation = false;
            o.UserName = "app";
            o.Password = Password;
        }, logs);

        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message(subject: "Over TLS"));

        Assert.True(Assert.Single(server.Messages).Authenticated);
        var text = logs.AllText;
        Assert.Contains("C: EHLO", text, StringComparison.Ordinal);
        Assert.Contains("STARTTLS", text, StringComparison.Ordinal);
        Assert.Contains("bytes of message data", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        foreach (var encoded in SecretEncodings("app", Password))
            Assert.DoesNotContain(encoded, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello there.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_UntrustedServerCertificate_FailsWithAnActionableTlsError()
    {
        await using var server = InProcessSmtpServer.Start(o => o.Certificate = TestCertificates.Localhost);
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Host = "localhost";
            o.Security = SecureSocketOptions.StartTls;
            o.CheckCertificateRevocation = false;
        });

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("tls", ex.ErrorType);
        Assert.Contains("TLS handshake", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.DataCount);
    }

    [Fact]
    public async Task SendAsync_DangerousAcceptAnyCertificate_ConnectsAndLogsAWarning()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = InProcessSmtpServer.Start(o => o.Certificate = TestCertificates.Localhost);
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Security = SecureSocketOptions.StartTls;
            o.DangerousAcceptAnyServerCertificate = true;
            o.CheckCertificateRevocation = false;
        }, logs);

        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        Assert.Single(server.Messages);
        Assert.Contains(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("DangerousAcceptAnyServerCertificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_OAuthTokenRejected_AsksTheProviderForAFreshTokenOnce()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = ScriptedSmtpServer.Start(_ => DataAction.Accept, acceptToken: token => token == "fresh-token");
        var requests = new List<MailTokenRequest>();
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Host = "localhost";
            o.Security = SecureSocketOptions.StartTls;
            o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
            o.CheckCertificateRevocation = false;
            o.UserName = "app@example.test";
            o.AccessTokenProvider = (request, _) =>
            {
                requests.Add(request);
                return ValueTask.FromResult(request.ForceRefresh ? "fresh-token" : "stale-token");
            };
        }, logs);

        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        Assert.Equal([false, true], requests.Select(r => r.ForceRefresh));
        Assert.Equal(["stale-token", "fresh-token"], server.Tokens);
        Assert.Single(server.Accepted);
        Assert.DoesNotContain("fresh-token", logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("stale-token", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TokenProviderFails_ReportsATransientAuthenticationFailure()
    {
        await using var server = ScriptedSmtpServer.Start(_ => DataAction.Accept, acceptToken: _ => true);
        await using var provider = SenderFactory.Smtp(server.Port, o =>
        {
            o.Host = "localhost";
            o.Security = SecureSocketOptions.StartTls;
            o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
            o.CheckCertificateRevocation = false;
            o.MaxAttempts = 2;
            o.UserName = "app@example.test";
            o.AccessTokenProvider = (_, _) => throw new HttpRequestException("token endpoint unavailable");
        });

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("authentication", ex.ErrorType);
        Assert.True(ex.IsTransient);
        Assert.Equal(2, ex.Attempts);
        Assert.Contains("token endpoint unavailable", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.Tokens);
    }

    private static IEnumerable<string> SecretEncodings(string user, string password)
    {
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes(password));
    }
}
