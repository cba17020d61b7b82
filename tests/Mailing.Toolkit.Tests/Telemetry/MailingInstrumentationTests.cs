using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.RegularExpressions;
using Mailing.Toolkit.AutoResponding.Internal;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Receiving.Pipeline.Internal;
using Mailing.Toolkit.Scriban;
using Mailing.Toolkit.Telemetry;
using Mailing.Toolkit.Testing;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Tests.Telemetry;

public sealed class MailingInstrumentationTests
{
    /// <summary>Every instrument of the library, as docs/telemetry.md lists them.</summary>
    private static readonly string[] Instruments =
    [
        "mailing.messages.sent", "mailing.messages.failed", "mailing.send.duration", "mailing.send.retries",
        "mailing.smtp.connections.open", "mailing.smtp.connections.busy",
        "mailing.autoreply.sent", "mailing.autoreply.suppressed",
        "mailing.inbound.received", "mailing.inbound.handled", "mailing.inbound.retries", "mailing.inbound.quarantined",
        "mailing.inbound.lag", "mailing.inbound.pass.failures", "mailing.inbound.connection.state",
    ];

    [Fact]
    public async Task AddMailing_WithoutMeterFactory_EveryFeaturesInstrumentIsOnTheOneMeterTheOwnerCreatedAndDisposes()
    {
        var root = Path.Combine(Path.GetTempPath(), "mailing-owner-" + Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "app@example.test")
            .AddInMemorySender()
            .AddMaildirReceiver(root)
            .AddAutoResponder()
            .AddInboundProcessing(p => p.Default().AutoRespond());
        var provider = services.BuildServiceProvider();
        var owner = provider.GetRequiredService<MailingInstrumentation>();
        var published = new List<Instrument>();
        var completed = new List<Instrument>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (!ReferenceEquals(instrument.Meter, owner.Meter))
                return;
            lock (published)
                published.Add(instrument);
            meterListener.EnableMeasurementEvents(instrument);
        };
        listener.MeasurementsCompleted = (instrument, _) =>
        {
            lock (completed)
                completed.Add(instrument);
        };

        // Every feature's instruments exist once its service does.
        provider.GetRequiredService<SendingTelemetry>();
        provider.GetRequiredService<InboundTelemetry>();
        provider.GetRequiredService<AutoResponderTelemetry>();
        listener.Start();

        Assert.Null(owner.Meter.Scope);
        Assert.Equal(MailingTelemetry.MeterName, owner.Meter.Name);
        Assert.Equal(Instruments.Order(), published.Select(i => i.Name).Order());
        Assert.Equal(MailingTelemetry.ActivitySourceName, owner.ActivitySource.Name);
        Assert.Equal(typeof(MailingInstrumentation).Assembly.GetName().Version?.ToString(), owner.Meter.Version);

        await provider.DisposeAsync();

        // The meter was the owner's own: disposing the container ends every instrument on it.
        Assert.Equal(Instruments.Order(), completed.Where(i => ReferenceEquals(i.Meter, owner.Meter)).Select(i => i.Name).Order());
    }

    [Fact]
    public async Task AddMailing_WithMeterFactory_TheMeterComesFromTheFactoryAndIsLeftToIt()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddMailing().AddInMemorySender();
        var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        var owner = provider.GetRequiredService<MailingInstrumentation>();
        var sending = provider.GetRequiredService<SendingTelemetry>();

        Assert.Same(factory, owner.Meter.Scope);
        Assert.Same(owner, provider.GetRequiredService<MailingInstrumentation>());
        Assert.Same(owner.Meter, sending.Sent.Meter);
        await provider.DisposeAsync();
    }

    [Fact]
    public void TelemetryDoc_ListsEveryInstrumentAndEverySpan()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "telemetry.md"));
        var spans = typeof(MailingInstrumentation).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Span", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();

        Assert.Equal(["mailing.autoreply", "mailing.handle", "mailing.parse", "mailing.receive", "mailing.send"], spans.Order());
        Assert.All(Instruments, name => Assert.Matches(new Regex(@"^\| `" + Regex.Escape(name) + "` \\|", RegexOptions.Multiline), doc));
        Assert.All(spans, name => Assert.Matches(new Regex(@"^\| `" + Regex.Escape(name) + "` \\|", RegexOptions.Multiline), doc));
    }

    [Fact]
    public void LoggerMessages_EveryEventHasAUniqueIdAndANameAndIsDocumented()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "telemetry.md"));
        var events = new[] { typeof(MailingInstrumentation).Assembly, typeof(ScribanTemplateOptions).Assembly, typeof(InMemoryOutbox).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Attribute is not null)
            .ToList();

        Assert.True(events.Count > 90, $"only {events.Count} [LoggerMessage] methods found");
        Assert.Empty(events.GroupBy(e => e.Attribute!.EventId).Where(g => g.Count() > 1).Select(g => g.Key));
        foreach (var (method, attribute) in events)
        {
            // What the generated code logs: the id, and a name (EventName, or the method's name when none is set).
            var logs = new CapturingLoggerProvider();
            var logger = logs.CreateLogger("test");
            method.Invoke(null, method.GetParameters().Select(p => Argument(p, logger)).ToArray());
            var logged = Assert.Single(logs.Entries).EventId;
            Assert.Equal(attribute!.EventId, logged.Id);
            Assert.Equal(attribute.EventName ?? method.Name, logged.Name);
            Assert.False(string.IsNullOrWhiteSpace(logged.Name), $"event {logged.Id} has no name");
            Assert.Matches(new Regex(@"^\| " + logged.Id + @" \|", RegexOptions.Multiline), doc);
        }
    }

    private static object? Argument(ParameterInfo parameter, ILogger logger)
    {
        if (parameter.ParameterType == typeof(ILogger) || typeof(ILogger).IsAssignableFrom(parameter.ParameterType))
            return logger;
        if (parameter.ParameterType == typeof(string))
            return "x";
        if (parameter.ParameterType == typeof(LogLevel))
            return LogLevel.Information;
        return parameter.ParameterType.IsValueType ? Activator.CreateInstance(parameter.ParameterType) : null;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mailing.Toolkit.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("The repository root (Mailing.Toolkit.sln) is not above " + AppContext.BaseDirectory);
    }
}
