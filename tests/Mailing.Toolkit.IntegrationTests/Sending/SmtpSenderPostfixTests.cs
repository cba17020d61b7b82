using System.Collections.Concurrent;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Sending;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Sending;

/// <summary>The pooled SMTP sender against a real Postfix: delivery byte for byte, STARTTLS, scripted refusals.</summary>
[Collection(PostfixFixture.Collection)]
public sealed class SmtpSenderPostfixTests(PostfixFixture postfix)
{
    [SkippableFact]
    public async Task SendAsync_OverStartTls_ReachesAlicesMaildirByteForByte()
    {
        postfix.EnsureAvailable();
        var wire = new WireLog();
        await using var provider = Build(wire: wire);
        var attachment = new byte[100_000];
        Random.Shared.NextBytes(attachment);
        var subject = $"Invoice {Guid.NewGuid():N}";
        var before = postfix.NewMessages(postfix.AliceMaildir).Count;
        var message = new MailMessage
        {
            To = { "Alice <alice@example.test>" },
            Subject = subject,
            TextBody = "Your invoice is attached.\nBare LF lines are sent as CRLF.",
            HtmlBody = "<p>Your invoice is attached.</p>",
            Headers = { { "X-Order-Id", "1042" } },
            Attachments = { MailAttachment.FromBytes(attachment, "invoice.bin", "application/octet-stream") },
        };

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var file = (await postfix.WaitForNewMessagesAsync(postfix.AliceMaildir, before + 1)).Single(f => File.ReadAllText(f).Contains(subject, StringComparison.Ordinal));
        var delivered = await MimeMessage.LoadAsync(file);
        Assert.Equal(result.MessageId, delivered.MessageId);
        Assert.Equal("1042", delivered.Headers["X-Order-Id"]);
        Assert.Equal(subject, delivered.Subject);
        Assert.Equal("app@example.test", delivered.From.Mailboxes.Single().Address);
        var part = Assert.IsType<MimePart>(Assert.Single(delivered.Attachments));
        using var content = new MemoryStream();
        await part.Content!.DecodeToAsync(content);
        Assert.Equal(attachment, content.ToArray());
        Assert.Contains("ESMTPS", delivered.Headers[HeaderId.Received], StringComparison.Ordinal); // Postfix's mark of a TLS session
        Assert.Contains("STARTTLS", wire.Text, StringComparison.Ordinal);
        Assert.Equal($"127.0.0.1:{postfix.Port}", result.Server);
        Assert.StartsWith("2.0.0 Ok: queued", result.Response, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SendAsync_ScriptedRefusals_AreReportedPerRecipientWhileOthersAreDelivered()
    {
        postfix.EnsureAvailable();
        await using var provider = Build();
        var subject = $"Partial {Guid.NewGuid():N}";
        var before = postfix.NewMessages(postfix.BobMaildir).Count;
        var message = new MailMessage
        {
            To = { "bob@example.test", "tempfail@example.test" },
            Cc = { "full@example.test" },
            Bcc = { "nouser@example.test" },
            Subject = subject,
            TextBody = "Partly refused.",
        };

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        Assert.Equal(["bob@example.test"], result.Accepted.Select(r => r.Address));
        var rejected = result.Rejected.ToDictionary(r => r.Address);
        Assert.Equal((451, "4.3.0", true), (rejected["tempfail@example.test"].ReplyCode, rejected["tempfail@example.test"].EnhancedStatusCode, rejected["tempfail@example.test"].IsTransientFailure));
        Assert.Equal((452, "4.2.2", true), (rejected["full@example.test"].ReplyCode, rejected["full@example.test"].EnhancedStatusCode, rejected["full@example.test"].IsTransientFailure));
        Assert.Equal((550, "5.1.1", false), (rejected["nouser@example.test"].ReplyCode, rejected["nouser@example.test"].EnhancedStatusCode, rejected["nouser@example.test"].IsTransientFailure));
        var files = await postfix.WaitForNewMessagesAsync(postfix.BobMaildir, before + 1);
        var delivered = File.ReadAllText(files.Single(f => File.ReadAllText(f).Contains(subject, StringComparison.Ordinal)));
        Assert.DoesNotContain("nouser@example.test", delivered, StringComparison.Ordinal); // Bcc stays off the headers
    }

    [SkippableFact]
    public async Task SendAsync_OnlyTemporarilyRefusedRecipients_RetriesThenReportsATransientFailure()
    {
        postfix.EnsureAvailable();
        await using var provider = Build(o => o.MaxAttempts = 2);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() =>
            provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage { To = { "tempfail@example.test" }, TextBody = "later" }));

        Assert.Equal("recipients_rejected", ex.ErrorType);
        Assert.True(ex.IsTransient);
        Assert.Equal(2, ex.Attempts);
        Assert.Equal(451, ex.ReplyCode);
    }

    [SkippableFact]
    public async Task SendAsync_OnlyPermanentlyRefusedRecipient_FailsAtOnce()
    {
        postfix.EnsureAvailable();
        await using var provider = Build(o => o.MaxAttempts = 3);

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() =>
            provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage { To = { "nouser@example.test" }, TextBody = "nobody" }));

        Assert.False(ex.IsTransient);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal("5.1.1", ex.EnhancedStatusCode);
    }

    [SkippableFact]
    public async Task SendAsync_InjectionPayloadsInUserFields_PostfixSeesExactlyTheIntendedRecipientsAndHeaders()
    {
        postfix.EnsureAvailable();
        await using var provider = Build();
        var subject = $"Injection {Guid.NewGuid():N}";
        var before = postfix.NewMessages(postfix.AliceMaildir).Count;
        var message = new MailMessage
        {
            To = { "\"bob@example.test\r\nx\"@example.test".Replace("\r\n", " ", StringComparison.Ordinal), "alice@example.test" },
            Subject = subject,
            // Looks like the end of the data and a new transaction; must arrive as text in one message.
            TextBody = "hi\r\n.\r\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n",
        };

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        Assert.Equal(["alice@example.test"], result.Accepted.Select(r => r.Address));
        var files = await postfix.WaitForNewMessagesAsync(postfix.AliceMaildir, before + 1);
        var delivered = await MimeMessage.LoadAsync(files.Single(f => File.ReadAllText(f).Contains(subject, StringComparison.Ordinal)));
        Assert.Contains("MAIL FROM:<evil@example.test>", delivered.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(postfix.NewMessages(postfix.BobMaildir), f => File.ReadAllText(f).Contains("smuggled", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new MailMessage { Subject = "x\r\nBcc: bob@example.test" });
    }

    [SkippableFact]
    public async Task SendAsync_ManyConcurrentCallers_AllDeliveredOverAFewConnections()
    {
        postfix.EnsureAvailable();
        await using var provider = Build(o => o.MaxConnections = 4);
        var sender = provider.GetRequiredService<IMailSender>();
        var batch = Guid.NewGuid().ToString("N");
        var before = postfix.NewMessages(postfix.BobMaildir).Count;

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            sender.SendAsync(new MailMessage { To = { "bob@example.test" }, Subject = $"{batch} #{i}", TextBody = "x" })));

        Assert.Equal(50, results.Select(r => r.MessageId).Distinct().Count());
        var files = await postfix.WaitForNewMessagesAsync(postfix.BobMaildir, before + 50);
        Assert.Equal(50, files.Count(f => File.ReadAllText(f).Contains(batch, StringComparison.Ordinal)));
    }

    private ServiceProvider Build(Action<SmtpSenderOptions>? configure = null, WireLog? wire = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (wire is not null)
                b.AddProvider(wire);
        });
        services.AddMailing(o => o.DefaultFrom = "App <app@example.test>").AddSmtpSender(o =>
        {
            o.Host = postfix.Host;
            o.Port = postfix.Port;
            o.Security = SecureSocketOptions.StartTls;
            o.ServerCertificateValidationCallback = (_, certificate, _, _) => postfix.IsServerCertificate(certificate);
            o.CheckCertificateRevocation = false;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    /// <summary>Collects the SMTP transcript the sender bridges to ILogger at Trace.</summary>
    private sealed class WireLog : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> lines = new();

        public string Text => string.Join("\n", lines);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
