using System.Collections.Concurrent;
using System.Text;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Mailing.Toolkit.Tests.Receiving.Pipeline;

/// <summary>A temp Maildir with the real Maildir receiver and parser behind the inbound pipeline.</summary>
internal sealed class InboundHarness : IDisposable
{
    private int sequence;

    public InboundHarness()
    {
        foreach (var folder in new[] { "new", "cur", "tmp" })
            Directory.CreateDirectory(Path.Combine(Root, folder));
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "mailing-inbound-" + Guid.NewGuid().ToString("N"));

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    public HandlerLog Log { get; } = new();

    public static string Message(string to = "someone@example.test", string subject = "Hello", string? extraHeaders = null, string from = "Alice <alice@example.org>", string? id = null) =>
        $"From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id ?? Guid.NewGuid().ToString("N")}@example.org>\r\nDate: Sun, 01 Mar 2026 07:00:00 +0000\r\n{extraHeaders}" +
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi,\r\nplease help.\r\n";

    /// <summary>Delivers a message into new/ and returns its unique name.</summary>
    public string Deliver(string content)
    {
        var name = $"17700000{Interlocked.Increment(ref sequence):D2}.M{sequence}P1.test";
        var path = Path.Combine(Root, "new", name);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(content));
        // Distinct modification times keep the receiver's oldest-first order equal to the delivery order.
        File.SetLastWriteTimeUtc(path, new DateTime(2026, 3, 1, 7, 0, 0, DateTimeKind.Utc).AddSeconds(sequence));
        return name;
    }

    public ServiceProvider Build(Action<InboundProcessingBuilder> routes, Action<InboundProcessingOptions>? options = null, Action<IMailingBuilder>? mailing = null, bool validateOnBuild = true)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(Log);
        services.AddScoped<ScopedThing>();
        var builder = services.AddMailing().AddMaildirReceiver(Root);
        mailing?.Invoke(builder);
        builder.AddInboundProcessing(routes, o =>
        {
            o.RetryBaseDelay = TimeSpan.Zero;
            o.RetryMaxDelay = TimeSpan.Zero;
            options?.Invoke(o);
        });
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = validateOnBuild, ValidateScopes = true });
    }

    public string[] Files(string folder) =>
        Directory.Exists(Path.Combine(Root, folder)) ? Directory.GetFiles(Path.Combine(Root, folder)).Select(f => Path.GetFileName(f)).ToArray() : [];

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>What the test handlers saw, shared by every scope.</summary>
internal sealed class HandlerLog
{
    public ConcurrentQueue<(string Route, string? Subject, string? Recipient, int Attempt, Guid Scope)> Calls { get; } = new();

    public IEnumerable<string> RoutesOf(string subject) => Calls.Where(c => c.Subject == subject).Select(c => c.Route);
}

/// <summary>A scoped service: a new instance, with a new id, per scope.</summary>
internal sealed class ScopedThing
{
    public Guid Id { get; } = Guid.NewGuid();
}

internal sealed class RecordingHandler(HandlerLog log, ScopedThing scoped) : IInboundMailHandler
{
    public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        log.Calls.Enqueue((mail.Route.Name, mail.Mail.Subject, mail.Recipient, mail.Attempt, scoped.Id));
        return Task.CompletedTask;
    }
}

/// <summary>Fails every message whose subject contains "fail".</summary>
internal sealed class FailingHandler(HandlerLog log) : IInboundMailHandler
{
    public Task HandleAsync(InboundMail mail, CancellationToken cancellationToken)
    {
        log.Calls.Enqueue((mail.Route.Name, mail.Mail.Subject, mail.Recipient, mail.Attempt, Guid.Empty));
        if (mail.Mail.Subject?.Contains("fail", StringComparison.Ordinal) == true)
            throw new InvalidOperationException("The handler failed on purpose.");
        return Task.CompletedTask;
    }
}
