using MailKit;
using MailKit.Net.Imap;
using Mailing.Toolkit.Net.Internal;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>How an <see cref="ImapSession"/> retries an operation whose connection failed.</summary>
/// <param name="MaxAttempts">Attempts in a row, the first included, before the operation fails.</param>
/// <param name="BaseDelay">The delay before the second attempt; doubled per failure, with jitter (<see cref="ExponentialBackoff.Delay"/>).</param>
/// <param name="MaxDelay">The longest delay between two attempts.</param>
/// <param name="RetryFailedConnect">Whether a failure to open a new connection is retried too, or only a connection
/// that served earlier operations and died unnoticed.</param>
/// <param name="CheckAfterIdle">A connection unused this long is checked with NOOP before an operation (null: never).</param>
internal sealed record ImapRetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, bool RetryFailedConnect, TimeSpan? CheckAfterIdle);

/// <summary>What an <see cref="ImapSession"/> reports, each feature with its own log events.</summary>
internal interface IImapSessionEvents
{
    /// <summary>The connection failed under <paramref name="operation"/> (<paramref name="failures"/> in a row, 0 for an unused connection found dead); <paramref name="retrying"/> on a new one.</summary>
    void ConnectionLost(string server, string operation, Exception error, int failures, bool retrying);

    /// <summary>Logging out at dispose failed; the connection is closed anyway.</summary>
    void LogoutFailed(string server, Exception error);
}

/// <summary>
/// One IMAP connection, shared by the receiver and the mailbox manager: handed to one operation at a time by a
/// semaphore (so "ImapClient is busy" cannot happen), connected on first use, replaced when it drops, with the retry
/// rules of an <see cref="ImapRetryPolicy"/>. It remembers the selected folder, so consecutive operations on one
/// folder select it once.
/// </summary>
internal sealed class ImapSession(ImapConnector connector, ImapRetryPolicy policy, TimeProvider timeProvider, IImapSessionEvents events) : IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ImapClient? client;
    private ImapFolder? selected;
    private long lastUsed;
    private bool disposed;

    /// <summary><c>host:port</c>, for messages.</summary>
    public string Server => connector.Server;

    /// <summary>Runs an action that is safe to run twice: <see cref="RunAsync{T}(string, Func{ImapClient, ImapSession, CancellationToken, Task{T}}, bool, CancellationToken)"/> with repeatable.</summary>
    public Task<T> RunAsync<T>(string operation, Func<ImapClient, ImapSession, CancellationToken, Task<T>> action, CancellationToken cancellationToken) =>
        RunAsync(operation, action, repeatable: true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="action"/> (<paramref name="operation"/> names it in logs) alone on this connection, (re)connecting as needed. When the connection fails
    /// under it, the action runs again on a new one if <paramref name="repeatable"/> and the policy allows: such an
    /// action must be safe to run twice, as one cut off may have been applied by the server in part or in full.
    /// After <see cref="ImapRetryPolicy.MaxAttempts"/> failures in a row it fails with an <see cref="IOException"/>
    /// naming the count; an action not retried fails with its own exception.
    /// </summary>
    public async Task<T> RunAsync<T>(string operation, Func<ImapClient, ImapSession, CancellationToken, Task<T>> action, bool repeatable, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var failures = 0; ;)
            {
                // Checked inside the gate too: an operation queued behind the dispose must not reconnect.
                ObjectDisposedException.ThrowIf(disposed, this);
                var reused = client is { IsConnected: true, IsAuthenticated: true };
                try
                {
                    if (failures > 0)
                        await Task.Delay(ExponentialBackoff.Delay(failures, policy.BaseDelay, policy.MaxDelay), timeProvider, cancellationToken).ConfigureAwait(false);
                    var imap = await EnsureConnectedAsync(operation, cancellationToken).ConfigureAwait(false);
                    var result = await action(imap, this, cancellationToken).ConfigureAwait(false);
                    lastUsed = timeProvider.GetTimestamp();
                    return result;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // A command cut off halfway leaves the session in an unknown state: start the next one afresh.
                    Drop();
                    throw;
                }
                catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
                {
                    Drop();
                    failures++;
                    var retrying = repeatable && (reused || policy.RetryFailedConnect) && failures < policy.MaxAttempts;
                    events.ConnectionLost(Server, operation, ex, failures, retrying);
                    if (retrying)
                        continue;
                    if (failures > 1)
                        throw new IOException($"The IMAP connection to {Server} failed {failures} times in a row; giving up this operation.", ex);
                    throw;
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Selects <paramref name="path"/> read-write for the running operation, unless it is selected already and <paramref name="fresh"/> is false.</summary>
    public Task<ImapFolder> SelectAsync(string path, bool fresh, CancellationToken cancellationToken) =>
        OpenAsync(path, FolderAccess.ReadWrite, fresh, cancellationToken);

    /// <summary>
    /// Opens <paramref name="path"/> for the running operation with at least <paramref name="access"/>, unless it is
    /// open already (and <paramref name="fresh"/> is false: a fresh SELECT shows what other sessions changed).
    /// </summary>
    public async Task<ImapFolder> OpenAsync(string path, FolderAccess access, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && selected is { IsOpen: true } current && (current.Access == FolderAccess.ReadWrite || access == FolderAccess.ReadOnly)
            && string.Equals(FolderNames.FromServer(current), path, StringComparison.Ordinal))
        {
            return current;
        }

        var target = await ImapFolders.GetAsync(Client, path, cancellationToken).ConfigureAwait(false);
        selected = null;
        await target.OpenAsync(access, cancellationToken).ConfigureAwait(false);
        selected = target;
        return target;
    }

    /// <summary>Servers refuse to rename or delete the selected folder (or treat it oddly): unselects it when it is <paramref name="path"/> or below.</summary>
    public async Task CloseIfWithinAsync(string path, CancellationToken cancellationToken)
    {
        if (selected is { IsOpen: true } current && FolderNames.IsWithin(FolderNames.FromServer(current), path))
            await current.CloseAsync(expunge: false, cancellationToken).ConfigureAwait(false);
        selected = null;
    }

    /// <summary>
    /// Failures a new connection may fix (<see cref="Reconnect.IsTransient"/>), and a command refused because the
    /// connection went away under it.
    /// </summary>
    public bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        Reconnect.IsTransient(ex, cancellationToken) || (ex is ImapCommandException && client is not { IsConnected: true });

    /// <summary>Logs out, politely and briefly, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            disposed = true;
            selected = null;
            if (client is { IsConnected: true } closing)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), timeProvider);
                    await closing.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (Reconnect.IsTransient(ex, CancellationToken.None) || ex is ImapCommandException or OperationCanceledException)
                {
                    // Logging out is a courtesy; the server drops the session anyway.
                    events.LogoutFailed(Server, ex);
                }
            }

            Drop();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Closes the connection without logging out.</summary>
    public void Dispose()
    {
        disposed = true;
        Drop();
    }

    private ImapClient Client => client ?? throw new InvalidOperationException("An IMAP session folder is used outside RunAsync.");

    /// <summary>A live, authenticated connection: the current one (checked with NOOP after a long pause) or a new one.</summary>
    private async Task<ImapClient> EnsureConnectedAsync(string operation, CancellationToken cancellationToken)
    {
        if (client is { IsConnected: true, IsAuthenticated: true } current)
        {
            if (policy.CheckAfterIdle is not { } idle || timeProvider.GetElapsedTime(lastUsed) < idle)
                return current;
            try
            {
                await current.NoOpAsync(cancellationToken).ConfigureAwait(false);
                return current;
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                // Died while unused: replace it without counting a failure.
                events.ConnectionLost(Server, operation, ex, 0, retrying: true);
            }
        }

        Drop();
        client = await connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
        lastUsed = timeProvider.GetTimestamp();
        return client;
    }

    /// <summary>Forgets a connection that is dead or in an unknown state, without a LOGOUT.</summary>
    private void Drop()
    {
        selected = null;
        client?.Dispose();
        client = null;
    }
}
