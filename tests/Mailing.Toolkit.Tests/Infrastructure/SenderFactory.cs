using MailKit.Security;
using Mailing.Toolkit.Sending;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>Builds a container with the SMTP sender pointed at a loopback test server, with fast retries.</summary>
internal static class SenderFactory
{
    public static ServiceProvider Smtp(int port, Action<SmtpSenderOptions>? configure = null, CapturingLoggerProvider? logs = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
                builder.AddProvider(logs);
        });
        services.AddMetrics();
        if (time is not null)
            services.AddSingleton(time);
        services.AddMailing(o => o.DefaultFrom = "App <app@example.test>")
            .AddSmtpSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = port;
                o.Security = SecureSocketOptions.None;
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                o.RetryMaxDelay = TimeSpan.FromMilliseconds(50);
                o.Timeout = TimeSpan.FromSeconds(10);
                configure?.Invoke(o);
            });
        return services.BuildServiceProvider();
    }

    public static MailMessage Message(string to = "alice@example.test", string subject = "Hello") => new()
    {
        To = { to },
        Subject = subject,
        TextBody = "Hello there.",
    };

    /// <summary>Polls until <paramref name="condition"/> holds; fails after 10 s. For waiting on background work, not for timing.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }
}
