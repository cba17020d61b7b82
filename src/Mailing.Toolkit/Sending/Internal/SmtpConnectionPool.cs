using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Security;
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
    private readonly long[] endpointDownUntil;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentStack<PooledSmtpClient> idle = new();
    private readonly ConcurrentDictionary<Task, bool> closing = new();
    private readonly TimeProvider timeProvider;
    private readonly SendingTelemetry telemetry;
    private readonly KeyValuePair<string, object?> senderTag;
    private readonly ILogger logger;
    private readonly ILogger wireLogger;
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
        wireLogger = loggerFactory.CreateLogger("Mailing.Toolkit.Sending.SmtpProtocol");
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
            var client = CreateClient(endpoint);
            try
            {
                await client.ConnectAsync(endpoint.Host, endpoint.EffectivePort, endpoint.EffectiveSecurity, cancellationToken).ConfigureAwait(false);
                await AuthenticateAsync(client, endpoint, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref endpointDownUntil[index], 0);
                CountOpen(endpoint, 1);
                PoolLog.Connected(logger, endpoint.ToString(), client.IsSecure, client.SslProtocol.ToString());
                return client;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
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

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "Only with the explicit, logged DangerousAcceptAnyServerCertificate development option.")]
    private PooledSmtpClient CreateClient(SmtpServerEndpoint endpoint)
    {
        var client = new PooledSmtpClient(new SmtpWireLogger(wireLogger), endpoint)
        {
            Timeout = (int)Math.Clamp(options.Timeout.TotalMilliseconds, 1, int.MaxValue),
            CheckCertificateRevocation = options.CheckCertificateRevocation,
        };
        if (!string.IsNullOrEmpty(options.LocalDomain))
            client.LocalDomain = options.LocalDomain;
        if (options.DangerousAcceptAnyServerCertificate)
            client.ServerCertificateValidationCallback = AcceptAnyCertificateForDevelopment;
        else if (options.ServerCertificateValidationCallback is not null)
            client.ServerCertificateValidationCallback = options.ServerCertificateValidationCallback;
        return client;
    }

    private bool AcceptAnyCertificateForDevelopment(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors != SslPolicyErrors.None)
            PoolLog.AcceptingInvalidCertificate(logger, errors.ToString(), certificate?.Subject);
        return true;
    }

    private async Task AuthenticateAsync(PooledSmtpClient client, SmtpServerEndpoint endpoint, CancellationToken cancellationToken)
    {
        var userName = options.UserName;
        if (string.IsNullOrEmpty(userName))
            return;

        if (!client.IsSecure)
        {
            throw new MailDeliveryException(
                $"Refusing to send the credentials of user '{userName}' to {endpoint} over an unencrypted connection. Use Security=Auto, StartTls or SslOnConnect.",
                "tls", 0, null, false, false, null, endpoint.ToString(), 0);
        }

        if (options.AccessTokenProvider is { } provider)
        {
            var token = await GetTokenAsync(provider, userName, endpoint, forceRefresh: false, cancellationToken).ConfigureAwait(false);
            try
            {
                await client.AuthenticateAsync(CreateOAuthMechanism(client, userName, token), cancellationToken).ConfigureAwait(false);
            }
            catch (AuthenticationException)
            {
                // The token may have expired between the provider's cache and now: ask once more for a fresh one.
                PoolLog.TokenRejected(logger, endpoint.ToString());
                token = await GetTokenAsync(provider, userName, endpoint, forceRefresh: true, cancellationToken).ConfigureAwait(false);
                await client.AuthenticateAsync(CreateOAuthMechanism(client, userName, token), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // MailKit tries the mechanisms both sides support, strongest first (SCRAM before PLAIN and LOGIN).
        await client.AuthenticateAsync(new NetworkCredential(userName, options.Password), cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<string> GetTokenAsync(
        Func<SmtpTokenRequest, CancellationToken, ValueTask<string>> provider, string userName, SmtpServerEndpoint endpoint, bool forceRefresh, CancellationToken cancellationToken)
    {
        string? token;
        try
        {
            token = await provider(new SmtpTokenRequest(userName, endpoint.Host, forceRefresh), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A token endpoint that is down is worth retrying later; the message is not at fault.
            throw new MailDeliveryException(
                $"The access token provider failed for user '{userName}' at {endpoint}: {ex.Message}",
                "authentication", 0, null, isTransient: true, maybeDelivered: false, null, endpoint.ToString(), 0, ex);
        }

        return string.IsNullOrEmpty(token)
            ? throw new MailDeliveryException($"The access token provider returned no token for user '{userName}' at {endpoint}.", "authentication", 0, null, false, false, null, endpoint.ToString(), 0)
            : token;
    }

    private static SaslMechanism CreateOAuthMechanism(PooledSmtpClient client, string userName, string token) =>
        client.AuthenticationMechanisms.Contains("OAUTHBEARER")
            ? new SaslMechanismOAuthBearer(userName, token)
            : new SaslMechanismOAuth2(userName, token);

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
