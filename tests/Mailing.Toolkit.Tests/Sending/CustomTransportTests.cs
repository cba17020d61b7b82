using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MimeKit;

namespace Mailing.Toolkit.Tests.Sending;

/// <summary>A transport written the way a user writes one: only public types, registered with AddTransport.</summary>
public sealed class CustomTransportTests
{
    [Fact]
    public async Task SendAsync_UserTransport_ReceivesTheMessageAfterDefaultsAndFiltersAndItsResultComesBack()
    {
        await using var provider = Build(m => m.AddTransport<RecordingTransport>().AddOutgoingFilter<StampAndAddRecipientFilter>());
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var sent = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.messages.sent");
        var message = SenderFactory.Message(subject: "Invoice 42");

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var transport = provider.GetRequiredService<RecordingTransport>();
        var delivered = Assert.Single(transport.Delivered);
        Assert.Equal("app@example.test", delivered.From);          // Mailing:DefaultFrom, filled before the transport
        Assert.False(string.IsNullOrEmpty(delivered.MessageId));   // a Message-ID was generated
        Assert.Equal("stamped", delivered.FilterHeader);           // the filter ran first
        Assert.Equal(["alice@example.test", "audit@example.test"], delivered.Recipients); // the envelope the filter changed
        Assert.Null(delivered.SenderName);
        Assert.Equal("Invoice 42", delivered.Subject);

        Assert.Same(transport.LastResult, result);                 // IMailSender hands back the transport's result
        Assert.Equal("api.example.test", result.Server);
        Assert.Equal(delivered.MessageId, result.MessageId);
        Assert.Equal("queued as 7", result.Response);
        var measurement = Assert.Single(sent.GetMeasurementSnapshot());
        Assert.Equal("recording", measurement.Tags["mailing.transport"]);
        Assert.Equal("default", measurement.Tags["mailing.sender"]);
    }

    [Fact]
    public async Task SendAsync_NamedTransport_IsAKeyedSenderThatSeesItsKey()
    {
        await using var provider = Build(m => m.AddTransport<RecordingTransport>("marketing"));

        await provider.GetRequiredKeyedService<IMailSender>("marketing").SendAsync(SenderFactory.Message());

        Assert.Null(provider.GetService<IMailSender>());
        Assert.Equal("marketing", Assert.Single(provider.GetRequiredService<RecordingTransport>().Delivered).SenderName);
    }

    [Fact]
    public async Task SendAsync_MimeMessageWithBcc_WriteToAsyncLeavesTheBccHeaderOutAndTheEnvelopeKeepsIt()
    {
        await using var provider = Build(m => m.AddTransport<RecordingTransport>());
        using var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse("alice@example.test"));
        message.Bcc.Add(MailboxAddress.Parse("hidden@example.test"));
        message.Subject = "Hi";
        message.Body = new TextPart("plain") { Text = "Hello." };

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var delivered = Assert.Single(provider.GetRequiredService<RecordingTransport>().Delivered);
        Assert.Contains("hidden@example.test", delivered.Recipients);
        Assert.DoesNotContain("hidden@example.test", delivered.Wire, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nSubject: Hi\r\n", delivered.Wire, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TransportAcceptsNoRecipient_ThrowsRecipientsRejectedWithTheResults()
    {
        await using var provider = Build(m => m.AddTransport<RefusingTransport>());

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("recipients_rejected", ex.ErrorType);
        Assert.Equal(450, ex.ReplyCode);
        Assert.True(ex.IsTransient);
        Assert.Equal("alice@example.test", Assert.Single(ex.Recipients).Address);
    }

    [Fact]
    public async Task SendAsync_TransportThrows_ReachesTheCallerAndCountsAsFailed()
    {
        await using var provider = Build(m => m.AddTransport<FailingTransport>());
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var failed = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.messages.failed");

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Equal("quota", ex.ErrorType);
        var measurement = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal("quota", measurement.Tags["error.type"]);
        Assert.Equal("failing", measurement.Tags["mailing.transport"]);
    }

    [Fact]
    public async Task AddTransport_Twice_RegistersOneDefaultSender()
    {
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "app@example.test").AddTransport<RecordingTransport>().AddTransport<RecordingTransport>();
        await using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IMailSender) && !d.IsKeyedService);
        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());
        Assert.Single(provider.GetRequiredService<RecordingTransport>().Delivered);
    }

    [Fact]
    public void AddTransport_AnotherDefaultSenderAlready_ThrowsNamingTheFix()
    {
        var builder = new ServiceCollection().AddMailing().AddMaildirSender(Path.GetTempPath());

        var ex = Assert.Throws<InvalidOperationException>(() => builder.AddTransport<RecordingTransport>());

        Assert.Contains("AddTransport<RecordingTransport>()", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[FromKeyedServices", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTransport_InstanceRegisteredFirst_IsTheOneUsed()
    {
        var mine = new RecordingTransport();
        var services = new ServiceCollection();
        services.AddSingleton(mine);
        services.AddMailing(o => o.DefaultFrom = "app@example.test").AddTransport<RecordingTransport>();
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        Assert.Single(mine.Delivered);
    }

    private static ServiceProvider Build(Action<IMailingBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        configure(services.AddMailing(o => o.DefaultFrom = "app@example.test"));
        return services.BuildServiceProvider();
    }

    private sealed record Delivery(string From, string MessageId, string? FilterHeader, string[] Recipients, string? SenderName, string Subject, string Wire);

    /// <summary>Keeps what it was given (not the message itself: the caller may dispose it) and answers like an HTTP API.</summary>
    private sealed class RecordingTransport : IMailTransport
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<Delivery> delivered = new();

        public string Name => "recording";

        public IReadOnlyList<Delivery> Delivered => delivered.ToArray();

        public SendResult? LastResult { get; private set; }

        public async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
        {
            using var wire = new MemoryStream();
            await mail.WriteToAsync(wire, cancellationToken);
            var message = mail.Message;
            delivered.Enqueue(new Delivery(
                message.From.Mailboxes.Single().Address,
                message.MessageId ?? string.Empty,
                message.Headers["X-Stamp"],
                mail.Envelope.Recipients.Select(r => r.Address).ToArray(),
                mail.SenderName,
                message.Subject ?? string.Empty,
                System.Text.Encoding.UTF8.GetString(wire.ToArray())));
            LastResult = new SendResult(
                message.MessageId ?? string.Empty,
                mail.Envelope.Recipients.Select(r => new RecipientResult(r.Address, true, 0, null, null)).ToArray(),
                "api.example.test",
                1,
                "queued as 7");
            return LastResult;
        }
    }

    private sealed class RefusingTransport : IMailTransport
    {
        public string Name => "refusing";

        public Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken) =>
            Task.FromResult(new SendResult(
                mail.Message.MessageId ?? string.Empty,
                mail.Envelope.Recipients.Select(r => new RecipientResult(r.Address, false, 450, "4.2.2", "mailbox full")).ToArray(),
                "api.example.test",
                1));
    }

    private sealed class FailingTransport : IMailTransport
    {
        public string Name => "failing";

        public Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken) =>
            throw new MailDeliveryException("The API refused the message: daily quota used up.", "quota", 0, null, true, false, null, "api.example.test", 1);
    }

    private sealed class StampAndAddRecipientFilter : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
        {
            mail.Message.Headers.Add("X-Stamp", "stamped");
            mail.Envelope = mail.Envelope.WithRecipients([.. mail.Envelope.Recipients, EmailAddress.Parse("audit@example.test")]);
            return ValueTask.CompletedTask;
        }
    }
}
