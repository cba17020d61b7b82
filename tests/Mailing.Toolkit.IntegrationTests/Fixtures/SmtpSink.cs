using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>A message the sink accepted: envelope and raw bytes.</summary>
public sealed record SunkMessage(string From, IReadOnlyList<string> To, byte[] Data)
{
    public MimeKit.MimeMessage Parse() => MimeKit.MimeMessage.Load(new MemoryStream(Data));
}

/// <summary>
/// A loopback SMTP server (the SmtpServer package) that accepts everything and keeps it: where the fixture's Dovecot
/// sends what Sieve sends (vacation replies, redirects), so tests can count and read them.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer server;
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;

    public SmtpSink()
    {
        Port = FixtureProcess.GetFreeLoopbackPort();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("sink.localhost")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(Messages));
        server = new SmtpServer.SmtpServer(options, services);
        running = server.StartAsync(stop.Token);
    }

    public int Port { get; }

    public ConcurrentQueue<SunkMessage> Messages { get; } = new();

    /// <summary>The messages sent to <paramref name="recipient"/> so far.</summary>
    public IReadOnlyList<SunkMessage> To(string recipient) =>
        Messages.Where(m => m.To.Contains(recipient, StringComparer.OrdinalIgnoreCase)).ToList();

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        server.Shutdown();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    private sealed class Store(ConcurrentQueue<SunkMessage> messages) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            messages.Enqueue(new SunkMessage(transaction.From?.AsAddress() ?? "", transaction.To.Select(t => t.AsAddress()).ToArray(), buffer.ToArray()));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
