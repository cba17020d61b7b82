using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Sieve;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.IntegrationTests.Sieve;

/// <summary>A service provider with <c>AddManageSieve</c> pointed at the fixture's Dovecot, logged in as one user (or the master user).</summary>
internal static class SieveTestHost
{
    public static ServiceProvider Build(DovecotFixture dovecot, string user, string password = DovecotFixture.Password, Action<ManageSieveOptions>? configure = null, Microsoft.Extensions.Logging.ILoggerProvider? logs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (logs is not null)
                b.AddProvider(logs).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
        });
        services.AddMailing().AddManageSieve(o =>
        {
            o.Host = dovecot.Host;
            o.Port = dovecot.SievePort;
            o.UserName = user;
            o.Password = password;
            o.ServerCertificateValidationCallback = (_, certificate, _, _) => dovecot.IsServerCertificate(certificate);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider(validateScopes: true);
    }

    /// <summary>A fresh account with a domain (LMTP delivery and vacation need the recipient's address).</summary>
    public static string NewAccount(DovecotFixture dovecot, string prefix) => dovecot.CreateUser(prefix) + "@example.test";

    public static MimeKit.MimeMessage Message(string from, string to, string subject, string body = "Hello.")
    {
        var message = new MimeKit.MimeMessage { Subject = subject, MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.org") };
        message.From.Add(MimeKit.MailboxAddress.Parse(from));
        message.To.Add(MimeKit.MailboxAddress.Parse(to));
        message.Body = new MimeKit.TextPart("plain") { Text = body };
        return message;
    }

    /// <summary>Waits until <paramref name="condition"/> holds (Dovecot sends vacation replies after the LMTP reply).</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(50);
    }
}
