using System.Collections.Concurrent;
using Mailing.Toolkit.Net.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// A bounded set of connected, authenticated MailKit clients. A client is rented by exactly one caller
/// at a time; idle clients are kept most-recently-used first and closed after the idle timeout or after
/// carrying their quota of messages. Connecting fails over across the configured servers.
/// </summary>
internal sealed class SmtpConnectionPool : IAsyncDisposable, IDisposable
{
    private readonly SmtpSenderOptions options;
    private readonly SmtpServerEndpoint[] endpoints;
    private readonly MailServiceConnector<PooledSmtpClient>[] connectors;
    private readonly long[] endpointDownUntil;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentStack<PooledSmtpClient> idle = new();
    private readonly ConcurrentDictionary<Task, bool> closing = new();
    private readonly TimeProvider timeProvider;
    private readonly SendingTelemetry telemetry;
    private readonly KeyValuePair<string, object?> senderTag;
    private readonly ILogger logger;
    private readonly ITimer reaper;
    private volatile bool disposed;

    public SmtpConnectionPool(string? name, SmtpSenderOptions options, TimeProvider timeProvider, SendingTelemetry telemetry, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.timeProvider = timeProvider;
        this.telemetry = telemetry;
        endpoints = options.AllEndpoints().ToArray();
        endpointDownUntil = new long[endpoints.Length];
        slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        senderTag = new("mailing.sender", name ?? "default");
        logger = loggerFactory.CreateLogger<SmtpConnectionPool>();
        var wireLogger = loggerFactory.CreateLogger("Mailing.Toolkit.Sending.SmtpProtocol");
        var events = new ConnectionEvents(logger);
        connectors = endpoints.Select(endpoint => new MailServiceConnector<PooledSmtpClient>(
            MailConnectionSettings.For(options, endpoint.Host, endpoint.EffectivePort, endpoint.EffectiveSecurity),
            () => new PooledSmtpClient(new SmtpWireLogger(wireLogger), endpoint, options.LocalDomain),
            events)).ToArray();
        var sweep = options.IdleTimeout / 2 > TimeSpan.FromSeconds(1) ? options.IdleTimeout / 2 : TimeSpan.FromSeconds(1);
        reaper = timeProvider.CreateTimer(static state => ((SmtpConnectionPool)state!).CloseExpiredIdle(), this, sweep, sweep);
    }

    /// <summary>Rents a connected client; the caller must hand it back with <see cref="Return"/>.</summary>
    /// <exception cref="MailDeliveryException">No server could be connected to (classified, attempts = 0).</exception>
    public async ValueTask<PooledSmtpClient> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (idle.TryPop(out var client))
            {
                if (client.IsConnected && !IsIdleExpired(client))
                {
                    telemetry.ConnectionsBusy.Add(1, senderTag);
                    return client;
                }

                Close(client);
            }

            var created = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            telemetry.ConnectionsBusy.Add(1, senderTag);
            return created;
        }
        catch
        {
            slots.Release();
            throw;
        }
    }

    /// <summary>Hands a client back: kept for the next caller when it is healthy and under its message quota.</summary>
    public void Return(PooledSmtpClient client, bool reusable)
    {
        telemetry.ConnectionsBusy.Add(-1, senderTag);
        if (reusable && !disposed && client.IsConnected && client.MessagesSent < options.MaxMessagesPerConnection)
        {
            client.LastReturned = timeProvider.GetTimestamp();
            idle.Push(client);
        }
        else
        {
            Close(client);
        }

        slots.Release();
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await reaper.DisposeAsync().ConfigureAwait(false);
        while (idle.TryPop(out var client))
            Close(client);
        await Task.WhenAll(closing.Keys).ConfigureAwait(false);
        // slots is not disposed: a send still in flight hands its client back (and releases its slot) afterwards.
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        reaper.Dispose();
        while (idle.TryPop(out var client))
        {
            client.Dispose();
            CountOpen(client.Endpoint, -1);
        }
    }

    private async Task<PooledSmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        MailDeliveryException? failure = null;
        foreach (var index in EndpointOrder())
        {
            var endpoint = endpoints[index];
            try
            {
                var client = await connectors[index].ConnectAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref endpointDownUntil[index], 0);
                CountOpen(endpoint, 1);
                return client;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure = SmtpReplies.FromConnectFailure(ex, endpoint, options.UserName);
                Volatile.Write(ref endpointDownUntil[index], timeProvider.GetTimestamp() + (long)(options.FailoverCooldown.TotalSeconds * timeProvider.TimestampFrequency));
                PoolLog.ConnectFailed(logger, endpoint.ToString(), failure.ErrorType, endpoints.Length > 1);
            }
        }

        throw failure!;
    }

    /// <summary>Servers in configured order, those that failed recently last (still tried when all are down).</summary>
    private int[] EndpointOrder()
    {
        var now = timeProvider.GetTimestamp();
        var healthy = Enumerable.Range(0, endpoints.Length).Where(i => Volatile.Read(ref endpointDownUntil[i]) <= now);
        var down = Enumerable.Range(0, endpoints.Length).Where(i => Volatile.Read(ref endpointDownUntil[i]) > now);
        return healthy.Concat(down).ToArray();
    }

    private void CountOpen(SmtpServerEndpoint endpoint, int delta) =>
        telemetry.ConnectionsOpen.Add(delta, senderTag, new("server.address", endpoint.Host), new("server.port", endpoint.EffectivePort));

    private bool IsIdleExpired(PooledSmtpClient client) =>
        timeProvider.GetElapsedTime(client.LastReturned) >= options.IdleTimeout;

    private void CloseExpiredIdle()
    {
        if (idle.IsEmpty)
            return;
        var taken = new PooledSmtpClient[idle.Count];
        var count = idle.TryPopRange(taken);
        // Push survivors back oldest first so the most recently used stays on top.
        for (var i = count - 1; i >= 0; i--)
        {
            if (disposed || IsIdleExpired(taken[i]) || !taken[i].IsConnected)
                Close(taken[i]);
            else
                idle.Push(taken[i]);
        }
    }

    /// <summary>Says QUIT in the background; the caller never waits for a connection to close.</summary>
    private void Close(PooledSmtpClient client)
    {
        var task = CloseAsync(client);
        closing.TryAdd(task, true);
        _ = task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, bool>)state!).TryRemove(t, out _), closing, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task CloseAsync(PooledSmtpClient client)
    {
        var server = client.Endpoint.ToString();
        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), timeProvider);
                await client.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or MailKit.Net.Smtp.SmtpProtocolException or MailKit.Net.Smtp.SmtpCommandException or System.Net.Sockets.SocketException)
        {
            PoolLog.QuitFailed(logger, server, ex.GetType().Name);
        }
        finally
        {
            client.Dispose();
            CountOpen(client.Endpoint, -1);
        }
    }

    /// <summary>The shared connector's events with the SMTP pool's ids (1200-1203); the development-certificate warning is the sender's (1302).</summary>
    private sealed class ConnectionEvents(ILogger logger) : IMailConnectionEvents
    {
        public void AcceptsAnyCertificate(string server)
        {
        }

        public void AcceptingInvalidCertificate(string server, string errors, string? subject) => PoolLog.AcceptingInvalidCertificate(logger, errors, subject);

        public void TokenRejected(string server) => PoolLog.TokenRejected(logger, server);

        public void Connected(string server, bool secure, string protocol) => PoolLog.Connected(logger, server, secure, protocol);
    }
}

internal static partial class PoolLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Debug, Message = "Opened SMTP connection to {Server} (TLS: {Secure}, {Protocol})")]
    public static partial void Connected(ILogger logger, string server, bool secure, string protocol);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Could not connect to {Server} ({ErrorType}); failover available: {HasFailover}")]
    public static partial void ConnectFailed(ILogger logger, string server, string errorType, bool hasFailover);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "DangerousAcceptAnyServerCertificate is on: accepting an invalid server certificate ({Errors}, subject {Subject}). Never use this in production.")]
    public static partial void AcceptingInvalidCertificate(ILogger logger, string errors, string? subject);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "{Server} rejected the OAuth2 access token; asking the token provider for a fresh one")]
    public static partial void TokenRejected(ILogger logger, string server);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Debug, Message = "Closing the SMTP connection to {Server} failed ({Error}); it was dropped")]
    public static partial void QuitFailed(ILogger logger, string server, string error);
}
