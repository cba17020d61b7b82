using System.Text;
using MailKit.Security;
using Mailing.Toolkit.Net;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Receiving;

/// <summary>The POP3 receiver against a scripted TLS server: OAuth2 with token refresh, and the redacted protocol log.</summary>
public sealed class Pop3ReceiverTests
{
    private const string Body = "The quarterly figures are confidential.";

    private static readonly (string Uid, string Content) Message = ("uid-1",
        $"From: a@example.test\r\nTo: inbox@example.test\r\nSubject: Figures\r\n\r\n{Body}\r\n.a line that starts with a dot\r\n");

    [Fact]
    public async Task ReceiveAsync_OAuthTokenRejected_AsksTheProviderOnceMoreForAFreshToken()
    {
        await using var server = ScriptedPop3Server.Start(["XOAUTH2"], token => token == "fresh-token", Message);
        var requests = new List<MailTokenRequest>();
        var logs = new CapturingLoggerProvider();
        await using var provider = Build(server, logs, o =>
        {
            o.Password = null;
            o.AccessTokenProvider = (request, _) =>
            {
                requests.Add(request);
                return ValueTask.FromResult(request.ForceRefresh ? "fresh-token" : "stale-token");
            };
        });
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var received = await ReceiveAllAsync(receiver);

        Assert.Equal(Message.Uid, Assert.Single(received).Id);
        Assert.Equal(["stale-token", "fresh-token"], server.Tokens);
        Assert.Equal([new MailTokenRequest("inbox", "127.0.0.1", false), new MailTokenRequest("inbox", "127.0.0.1", true)], requests);
        Assert.Equal(["inbox"], server.Logins);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3129 && e.Level == LogLevel.Information);
        // Neither token reaches the log, not even the protocol transcript at Trace.
        Assert.Contains(logs.Entries, e => e.Category == Pop3WireLogger.Category && e.Message.StartsWith("C: AUTH XOAUTH2", StringComparison.Ordinal));
        Assert.DoesNotContain("stale-token", logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("fresh-token", logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Base64("fresh-token"), logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReceiveAsync_FreshTokenRejectedToo_FailsWithAuthenticationExceptionWithoutReconnecting()
    {
        await using var server = ScriptedPop3Server.Start(["OAUTHBEARER", "XOAUTH2"], _ => false, Message);
        var asked = 0;
        await using var provider = Build(server, new CapturingLoggerProvider(), o =>
        {
            o.Password = null;
            o.AccessTokenProvider = (_, _) => ValueTask.FromResult($"token-{Interlocked.Increment(ref asked)}");
        });

        await Assert.ThrowsAsync<AuthenticationException>(() => ReceiveAllAsync(provider.GetRequiredService<IMailReceiver>()));

        // One refresh on one connection: a refused login is not a failure a new connection fixes.
        Assert.Equal(2, asked);
        Assert.Equal(1, server.Connections);
        Assert.Equal(["token-1", "token-2"], server.Tokens);
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData(null)] // no SASL: USER and PASS
    public async Task WireLog_PasswordLogin_MasksThePasswordAndReplacesTheMessageByItsSize(string? mechanism)
    {
        await using var server = ScriptedPop3Server.Start(mechanism is null ? [] : [mechanism], null, Message);
        var logs = new CapturingLoggerProvider();
        await using var provider = Build(server, logs);
        var receiver = provider.GetRequiredService<IMailReceiver>();

        var mail = Assert.Single(await ReceiveAllAsync(receiver));
        await using (var raw = await mail.OpenReadAsync())
            Assert.Contains(Body, await new StreamReader(raw).ReadToEndAsync(), StringComparison.Ordinal);

        var wire = logs.Entries.Where(e => e.Category == Pop3WireLogger.Category).Select(e => e.Message).ToList();
        Assert.Contains(wire, line => line.Contains("RETR 1", StringComparison.Ordinal));
        Assert.Contains(wire, line => line.Contains("+OK", StringComparison.Ordinal) && line.Contains("<message: ", StringComparison.Ordinal));
        Assert.Contains(wire, line => line.Contains("1 uid-1", StringComparison.Ordinal)); // listings are logged as they are
        Assert.Contains(wire, line => mechanism is null ? line.StartsWith("C: PASS *", StringComparison.Ordinal) : line.StartsWith("C: AUTH PLAIN", StringComparison.Ordinal));
        var all = logs.AllText;
        Assert.DoesNotContain(ScriptedPop3Server.Password, all, StringComparison.Ordinal);
        Assert.DoesNotContain(Base64($"\0inbox\0{ScriptedPop3Server.Password}"), all, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, all, StringComparison.Ordinal);
        Assert.DoesNotContain("Subject: Figures", all, StringComparison.Ordinal);
        Assert.DoesNotContain("a line that starts with a dot", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AccessTokenProviderWithoutPassword_IsEnough()
    {
        var validator = new Pop3ReceiverOptionsValidator("Mailing:Pop3");
        var options = new Pop3ReceiverOptions { Host = "pop.example.test", UserName = "inbox", AccessTokenProvider = (_, _) => ValueTask.FromResult("t") };

        Assert.True(validator.Validate(null, options).Succeeded);
        options.AccessTokenProvider = null;
        Assert.Contains("Mailing:Pop3:Password is required (or set AccessTokenProvider in code for OAuth2).", validator.Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(ScriptedPop3Server server, CapturingLoggerProvider logs, Action<Pop3ReceiverOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddMailing().AddPop3Receiver(o =>
        {
            o.Host = "127.0.0.1";
            o.Port = server.Port;
            o.Security = SecureSocketOptions.SslOnConnect;
            o.UserName = "inbox";
            o.Password = ScriptedPop3Server.Password;
            o.CheckCertificateRevocation = false;
            o.ServerCertificateValidationCallback = TestCertificates.PinLocalhost;
            o.ReconnectBaseDelay = TimeSpan.Zero;
            o.ReconnectMaxDelay = TimeSpan.Zero;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    internal static async Task<List<ReceivedMail>> ReceiveAllAsync(IMailReceiver receiver)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<ReceivedMail>();
        await foreach (var mail in receiver.ReceiveAsync(timeout.Token))
            received.Add(mail);
        return received;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
