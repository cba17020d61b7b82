using Mailing.Toolkit.Sending;
using Mailing.Toolkit.Testing;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace Mailing.Toolkit.Tests.Testing;

public sealed class InMemoryOutboxTests
{
    [Fact]
    public async Task SendAsync_RecordsAParsedCopyWithEnvelopeAndTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        await using var provider = Build(m => m.AddInMemorySender(), time);
        var message = SenderFactory.Message(subject: "Welcome aboard");
        message.Attachments.Add(MailAttachment.FromBytes([7, 7, 7], "a.bin"));

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var outbox = provider.GetRequiredService<InMemoryOutbox>();
        var sent = outbox.Single(m => m.WasSentTo("ALICE@example.test"));
        Assert.Equal("Welcome aboard", sent.Subject);
        Assert.Equal("Hello there.", sent.TextBody);
        Assert.Equal(time.GetUtcNow(), sent.SentAt);
        Assert.Single(sent.Message.Attachments);
        Assert.Single(outbox.WithSubject("welcome"));
        Assert.Empty(outbox.SentTo("bob@example.test"));
    }

    [Fact]
    public async Task Single_NoMatch_ListsWhatWasSent()
    {
        await using var provider = Build(m => m.AddInMemorySender());
        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message(subject: "Receipt"));
        var outbox = provider.GetRequiredService<InMemoryOutbox>();

        var ex = Assert.Throws<InvalidOperationException>(() => outbox.Single(m => m.WasSentTo("bob@example.test")));

        Assert.Contains("'Receipt' to alice@example.test", ex.Message, StringComparison.Ordinal);
        outbox.Clear();
        Assert.Equal(0, outbox.Count);
    }

    [Fact]
    public async Task RedirectFilter_SendsEverythingToOneAddressAndKeepsTheOriginals()
    {
        await using var provider = Build(m => m.AddInMemorySender().AddRedirectFilter(o => o.To = "qa@example.test"));
        var message = SenderFactory.Message();
        message.Cc.Add("bob@example.test");
        message.Bcc.Add("carol@example.test");

        await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var sent = provider.GetRequiredService<InMemoryOutbox>().Single();
        Assert.Equal(["qa@example.test"], sent.Recipients);
        Assert.Equal("alice@example.test, bob@example.test, carol@example.test", sent.Message.Headers[RedirectFilterOptions.OriginalRecipientsHeader]);
        Assert.Equal("alice@example.test", sent.Message.To.Mailboxes.Single().Address);
    }

    [Fact]
    public async Task RedirectFilter_Disabled_LeavesRecipientsAlone()
    {
        await using var provider = Build(m => m.AddInMemorySender().AddRedirectFilter(o => o.Enabled = false));

        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        Assert.Equal(["alice@example.test"], provider.GetRequiredService<InMemoryOutbox>().Single().Recipients);
    }

    [Fact]
    public async Task OutgoingFilters_RunInRegistrationOrderBeforeTheTransport()
    {
        await using var provider = Build(m => m.AddInMemorySender().AddOutgoingFilter<FirstFilter>().AddOutgoingFilter<SecondFilter>());

        await provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message());

        var trace = provider.GetRequiredService<InMemoryOutbox>().Single().Message.Headers.Where(h => h.Field == "X-Filter").Select(h => h.Value);
        Assert.Equal(["first", "second"], trace);
    }

    [Fact]
    public async Task SendAsync_NoFromAndNoDefault_ThrowsNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddMailing().AddInMemorySender();
        await using var provider = services.BuildServiceProvider();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => provider.GetRequiredService<IMailSender>().SendAsync(SenderFactory.Message()));

        Assert.Contains("Mailing:DefaultFrom", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, provider.GetRequiredService<InMemoryOutbox>().Count);
    }

    [Fact]
    public async Task SendAsync_RecordsSentAndFailedMetrics()
    {
        await using var provider = Build(m => m.AddInMemorySender().AddOutgoingFilter<RejectingFilter>());
        var factory = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var sent = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.messages.sent");
        using var failed = new MetricCollector<long>(factory, "Mailing.Toolkit", "mailing.messages.failed");
        using var duration = new MetricCollector<double>(factory, "Mailing.Toolkit", "mailing.send.duration");
        var sender = provider.GetRequiredService<IMailSender>();

        await sender.SendAsync(SenderFactory.Message());
        await Assert.ThrowsAsync<MailDeliveryException>(() => sender.SendAsync(SenderFactory.Message(subject: "reject me")));

        var ok = Assert.Single(sent.GetMeasurementSnapshot());
        Assert.Equal("memory", ok.Tags["mailing.transport"]);
        Assert.False(ok.Tags.ContainsKey("server.address")); // no network server behind the in-memory sender
        var error = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal("rejected", error.Tags["error.type"]);
        Assert.Equal(2, duration.GetMeasurementSnapshot().Count);
    }

    private static ServiceProvider Build(Action<IMailingBuilder> configure, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        if (time is not null)
            services.AddSingleton(time);
        configure(services.AddMailing(o => o.DefaultFrom = "app@example.test"));
        return services.BuildServiceProvider();
    }

    private sealed class FirstFilter : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
        {
            mail.Message.Headers.Add("X-Filter", "first");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class SecondFilter : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
        {
            mail.Message.Headers.Add("X-Filter", "second");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class RejectingFilter : IOutgoingMailFilter
    {
        public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken) =>
            mail.Message.Subject == "reject me"
                ? throw new MailDeliveryException("Blocked by policy.", "rejected", 0, null, false, false, null, null, 0)
                : ValueTask.CompletedTask;
    }
}
