using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.AutoResponding;

/// <summary>A container with the in-memory sender, a fake clock and the auto-responder, and builders for received mail.</summary>
internal sealed class AutoReplyTestHost : IAsyncDisposable
{
    public const string Support = "support@shop.example";

    public AutoReplyTestHost(
        Action<AutoResponderOptions>? configure = null,
        Dictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? services = null,
        Action<IMailingBuilder>? mailing = null)
    {
        var collection = new ServiceCollection();
        collection.AddMetrics();
        collection.AddSingleton<TimeProvider>(Time);
        services?.Invoke(collection);
        var builder = configuration is null
            ? collection.AddMailing(o => o.DefaultFrom = "app@shop.example")
            : collection.AddMailing(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build().GetSection("Mailing"));
        builder.AddInMemorySender();
        mailing?.Invoke(builder);
        if (configure is null)
            builder.AddAutoResponder();
        else
            builder.AddAutoResponder(configure);
        Provider = collection.BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));

    public ServiceProvider Provider { get; }

    public IAutoResponder Responder => Provider.GetRequiredService<IAutoResponder>();

    public InMemoryOutbox Outbox => Provider.GetRequiredService<InMemoryOutbox>();

    /// <summary>A host whose one rule answers everything sent to <see cref="Support"/>.</summary>
    public static AutoReplyTestHost AnswerAll(Action<AutoResponderOptions>? configure = null) => new(o =>
    {
        o.Rules.Add(AcknowledgeRule());
        configure?.Invoke(o);
    });

    public static AutoReplyRule AcknowledgeRule(string name = "ack") => new()
    {
        Name = name,
        Recipients = { Support },
        Text = "Thanks {FromName}, we received your message about \"{NormalizedSubject}\".",
    };

    /// <summary>A plain message from a person to <see cref="Support"/>, with a Return-Path like one delivered by an MTA.</summary>
    public static ParsedMail Mail(
        string from = "alice@example.test",
        string? subject = "Where is my order?",
        string? returnPath = null,
        string? text = "Hello, my order did not arrive.",
        string? messageId = "m1@example.test",
        params ParsedHeader[] headers) => new()
        {
            MessageId = messageId,
            Subject = subject,
            NormalizedSubject = subject,
            From = [new ParsedAddress("Alice", from)],
            To = [new ParsedAddress(null, Support)],
            ReturnPath = new ParsedAddress(null, returnPath ?? from),
            TextBody = text,
            Headers = [new ParsedHeader("From", $"Alice <{from}>"), new ParsedHeader("To", Support), .. headers],
        };

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}
