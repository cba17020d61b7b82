using System.Diagnostics;
using MailKit.Security;
using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Telemetry;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mailing.Toolkit.Tests.Telemetry;

/// <summary>
/// The library seen through OpenTelemetry with the in-memory exporters: one send over SMTP, then the same message
/// received from a Maildir, parsed, routed and answered by the auto-responder, whose reply goes out over SMTP again.
/// </summary>
[Collection(TelemetryIsolation.Name)]
public sealed class OpenTelemetryExportTests : IAsyncLifetime
{
    private const string Support = "support@shop.example";
    private const string Customer = "alice@example.test";

    private readonly string maildir = Path.Combine(Path.GetTempPath(), "mailing-otel-" + Guid.NewGuid().ToString("N"));
    private readonly List<Activity> spans = [];
    private readonly List<MetricSnapshot> metrics = [];
    private InProcessSmtpServer server = null!;
    private ServiceProvider provider = null!;
    private TracerProvider tracing = null!;
    private MeterProvider metering = null!;

    public Task InitializeAsync()
    {
        foreach (var folder in new[] { "new", "cur", "tmp" })
            Directory.CreateDirectory(Path.Combine(maildir, folder));
        server = InProcessSmtpServer.Start();

        tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(MailingTelemetry.ActivitySourceName)
            .AddInMemoryExporter(spans)
            .Build();
        metering = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MailingTelemetry.MeterName)
            .AddInMemoryExporter(metrics)
            .Build();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddMailing(o => o.DefaultFrom = "App <app@shop.example>")
            .AddSmtpSender(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = server.Port;
                o.Security = SecureSocketOptions.None;
                o.Timeout = TimeSpan.FromSeconds(10);
            })
            .AddMaildirReceiver(maildir)
            .AddAutoResponder(o => o.Rules.Add(new AutoReplyRule
            {
                Name = "ack",
                Recipients = { "support@*" },
                Text = "We got your message: {Subject}",
            }))
            .AddInboundProcessing(p => p.Route("support").ToRecipient("support@*").AutoRespond(), o =>
            {
                o.RetryBaseDelay = TimeSpan.Zero;
                o.RetryMaxDelay = TimeSpan.Zero;
            });
        provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await provider.DisposeAsync();
        tracing.Dispose();
        metering.Dispose();
        await server.DisposeAsync();
        Directory.Delete(maildir, recursive: true);
    }

    [Fact]
    public async Task SendThenReceive_SpansAndMetricsExported_TheReplyIsPartOfTheInboundMessagesTrace()
    {
        var messageId = Guid.NewGuid().ToString("N") + "@example.test";

        // One send: the customer's message goes out over SMTP.
        var sent = await provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage
        {
            MessageId = messageId,
            From = "Alice <" + Customer + ">",
            To = { Support },
            Subject = "Where is my order?",
            TextBody = "It did not arrive.",
        });
        Assert.Equal(messageId, sent.MessageId);

        // One receive: the bytes the server took arrive in the Maildir an hour ago, and one pass handles them.
        var delivered = Path.Combine(maildir, "new", "1770000000.M1P1.test");
        await File.WriteAllBytesAsync(delivered, Assert.Single(server.Messages).Data);
        File.SetLastWriteTimeUtc(delivered, DateTime.UtcNow.AddHours(-1));
        var pass = await provider.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
        Assert.Equal(new InboundPassResult(1, 1, 0, 0, 0), pass);
        var reply = server.Messages.Skip(1).Single().Parse();

        Assert.True(tracing.ForceFlush());
        Assert.True(metering.ForceFlush());

        // The application's send is a trace of its own.
        var send = Assert.Single(spans, s => s.OperationName == "mailing.send" && Tag(s, "mailing.message_id") == messageId);
        Assert.Equal(ActivityKind.Client, send.Kind);
        Assert.Equal(default, send.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, send.Status);
        Assert.Equal("smtp", Tag(send, "mailing.transport"));
        Assert.Equal("default", Tag(send, "mailing.sender"));
        Assert.Equal("127.0.0.1", Tag(send, "server.address"));
        Assert.Equal(server.Port, send.GetTagItem("server.port"));
        Assert.Equal(1, send.GetTagItem("mailing.recipients"));

        // The inbound message: receive is the root, parse and handle its children, the auto-reply a child of handle
        // and the reply's send a child of the auto-reply, all in one trace.
        var receive = Assert.Single(spans, s => s.OperationName == "mailing.receive" && Tag(s, "mailing.message_id") == messageId);
        var trace = spans.Where(s => s.TraceId == receive.TraceId).ToList();
        Assert.Equal(["mailing.autoreply", "mailing.handle", "mailing.parse", "mailing.receive", "mailing.send"], trace.Select(s => s.OperationName).Order());
        Assert.NotEqual(send.TraceId, receive.TraceId);
        Assert.Equal(ActivityKind.Consumer, receive.Kind);
        Assert.Equal(default, receive.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, receive.Status);
        Assert.Equal("default", Tag(receive, "mailing.mailbox"));
        Assert.Equal("support", Tag(receive, "mailing.route"));
        Assert.Equal("success", Tag(receive, "outcome"));

        var parse = trace.Single(s => s.OperationName == "mailing.parse");
        Assert.Equal(receive.SpanId, parse.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, parse.Kind);
        Assert.Equal(messageId, Tag(parse, "mailing.message_id"));

        var handle = trace.Single(s => s.OperationName == "mailing.handle");
        Assert.Equal(receive.SpanId, handle.ParentSpanId);
        Assert.Equal(ActivityKind.Internal, handle.Kind);
        Assert.Equal("default", Tag(handle, "mailing.mailbox"));
        Assert.Equal("support", Tag(handle, "mailing.route"));
        Assert.Equal(1, handle.GetTagItem("mailing.attempt"));
        Assert.True(handle.StartTimeUtc >= parse.StartTimeUtc + parse.Duration, "the handler runs after the parse ended");

        var autoReply = trace.Single(s => s.OperationName == "mailing.autoreply");
        Assert.Equal(handle.SpanId, autoReply.ParentSpanId);
        Assert.Equal(messageId, Tag(autoReply, "mailing.message_id"));
        Assert.Equal("ack", Tag(autoReply, "rule"));
        Assert.Null(autoReply.GetTagItem("reason"));

        var replySend = trace.Single(s => s.OperationName == "mailing.send");
        Assert.Equal(autoReply.SpanId, replySend.ParentSpanId);
        Assert.Equal(reply.MessageId, Tag(replySend, "mailing.message_id"));
        Assert.Equal(messageId, reply.InReplyTo);
        Assert.Equal(server.Port, replySend.GetTagItem("server.port"));

        // One source, and no span carries an address (docs/telemetry.md, "What is never logged").
        var owner = provider.GetRequiredService<MailingInstrumentation>();
        Assert.All(trace.Append(send), s => Assert.Same(owner.ActivitySource, s.Source));
        Assert.All(trace.Append(send).SelectMany(s => s.TagObjects), tag =>
        {
            Assert.DoesNotContain(Customer, tag.Value?.ToString() ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Support, tag.Value?.ToString() ?? string.Empty, StringComparison.OrdinalIgnoreCase);
        });

        // Metrics: both sends counted under the SMTP server that took them, the inbound message and its reply.
        var smtp = new Dictionary<string, object?> { ["mailing.transport"] = "smtp", ["mailing.sender"] = "default", ["server.address"] = "127.0.0.1", ["server.port"] = server.Port };
        var sentPoint = Point(Metric("mailing.messages.sent", MetricType.LongSum, "{message}"), smtp);
        Assert.Equal(2, sentPoint.GetSumLong());
        var duration = Point(Metric("mailing.send.duration", MetricType.Histogram, "s"), smtp);
        Assert.Equal(2, duration.GetHistogramCount());
        Assert.True(duration.GetHistogramSum() > 0);
        Assert.DoesNotContain(metrics, m => m.Name is "mailing.messages.failed" or "mailing.send.retries" or "mailing.autoreply.suppressed" or "mailing.inbound.quarantined" or "mailing.inbound.retries");

        var inbox = new Dictionary<string, object?> { ["mailing.mailbox"] = "default" };
        Assert.Equal(1, Point(Metric("mailing.inbound.received", MetricType.LongSum, "{message}"), inbox).GetSumLong());
        Assert.Equal(1, Point(Metric("mailing.inbound.handled", MetricType.LongSum, "{message}"), new() { ["mailing.mailbox"] = "default", ["mailing.route"] = "support", ["outcome"] = "success" }).GetSumLong());
        var lag = Point(Metric("mailing.inbound.lag", MetricType.Histogram, "s"), new() { ["mailing.mailbox"] = "default", ["mailing.route"] = "support" });
        Assert.Equal(1, lag.GetHistogramCount());
        Assert.InRange(lag.GetHistogramSum(), 3590, 3600 + 300);
        Assert.Equal(1, Point(Metric("mailing.autoreply.sent", MetricType.LongSum, "{message}"), new() { ["rule"] = "ack" }).GetSumLong());
        Assert.Equal(1, Point(Metric("mailing.inbound.connection.state", MetricType.LongGauge, "{state}"), inbox).GetGaugeLastValueLong());
        Assert.Equal(server.Sessions, Point(Metric("mailing.smtp.connections.open", MetricType.LongSumNonMonotonic, "{connection}"), new() { ["mailing.sender"] = "default", ["server.address"] = "127.0.0.1", ["server.port"] = server.Port }).GetSumLong());
        Assert.Equal(0, Point(Metric("mailing.smtp.connections.busy", MetricType.LongSumNonMonotonic, "{connection}"), new() { ["mailing.sender"] = "default" }).GetSumLong());
    }

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name) as string;

    /// <summary>The last export of one instrument, checked for its type and unit.</summary>
    private MetricSnapshot Metric(string name, MetricType type, string unit)
    {
        var metric = metrics.LastOrDefault(m => m.Name == name) ?? throw new Xunit.Sdk.XunitException($"{name} was not exported; exported: {string.Join(", ", metrics.Select(m => m.Name).Distinct())}");
        Assert.Equal(MailingTelemetry.MeterName, metric.MeterName);
        Assert.Equal(type, metric.MetricType);
        Assert.Equal(unit, metric.Unit);
        return metric;
    }

    /// <summary>The one point of <paramref name="metric"/> with exactly <paramref name="tags"/>.</summary>
    private static MetricPoint Point(MetricSnapshot metric, Dictionary<string, object?> tags)
    {
        var matching = metric.MetricPoints.Where(p => Tags(p).Count == tags.Count && tags.All(t => Tags(p).TryGetValue(t.Key, out var v) && Equals(Normalize(v), Normalize(t.Value)))).ToList();
        return matching.Count == 1
            ? matching[0]
            : throw new Xunit.Sdk.XunitException($"{metric.Name}: {matching.Count} points with the tags {string.Join(", ", tags)}; points: {string.Join(" | ", metric.MetricPoints.Select(p => string.Join(", ", Tags(p))))}");
    }

    private static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
            tags[tag.Key] = tag.Value;
        return tags;
    }

    /// <summary>Numbers compare by value whatever their boxed type (the exporter may widen an int to a long).</summary>
    private static object? Normalize(object? value) => value is int or long or short ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : value;
}
