using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>Proves the fixture with raw MailKit, independent of our library.</summary>
[Collection(PostfixFixture.Collection)]
public sealed class PostfixFixtureTests
{
    private readonly PostfixFixture _postfix;

    public PostfixFixtureTests(PostfixFixture postfix)
    {
        _postfix = postfix;
    }

    [SkippableFact]
    public async Task SendAsync_StartTlsToAlice_DeliversToAlicesMaildir()
    {
        _postfix.EnsureAvailable();
        var subject = $"Smoke test {Guid.NewGuid():N}";
        var before = _postfix.NewMessages(_postfix.AliceMaildir).Count;

        using var client = await ConnectAsync();
        Assert.True(client.IsSecure, "STARTTLS did not secure the connection");
        await client.SendAsync(Message("alice@example.test", subject));
        await client.DisconnectAsync(quit: true);

        var files = await _postfix.WaitForNewMessagesAsync(_postfix.AliceMaildir, before + 1);
        Assert.Contains(files, file => File.ReadAllText(file).Contains($"Subject: {subject}\n", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData("tempfail@example.test", 451, "4.3.0")]
    [InlineData("full@example.test", 452, "4.2.2")]
    [InlineData("nouser@example.test", 550, "5.1.1")]
    public async Task SendAsync_ScriptedRecipient_RefusedWithScriptedReply(string recipient, int code, string enhancedCode)
    {
        _postfix.EnsureAvailable();
        using var client = await ConnectAsync();

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message(recipient, "Refused")));

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, error.ErrorCode);
        Assert.Equal(code, (int)error.StatusCode);
        Assert.StartsWith(enhancedCode, error.Message, StringComparison.Ordinal);
        Assert.Equal(recipient, error.Mailbox?.Address);
    }

    private async Task<SmtpClient> ConnectAsync()
    {
        var client = new SmtpClient
        {
            // Trust exactly the fixture's self-signed certificate, nothing else.
            ServerCertificateValidationCallback = (_, certificate, _, _) => _postfix.IsServerCertificate(certificate),
        };
        await client.ConnectAsync(_postfix.Host, _postfix.Port, SecureSocketOptions.StartTls);
        return client;
    }

    private static MimeMessage Message(string to, string subject) => new(
        [MailboxAddress.Parse("sender@example.org")],
        [MailboxAddress.Parse(to)],
        subject,
        new TextPart("plain") { Text = "Hello from the integration tests.\n" });
}
