using MailKit;
using MailKit.Net.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Mailboxes.Internal;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// One IMAP connection of the receiver, handed to one operation at a time by a semaphore (so "ImapClient is busy"
/// cannot happen), connected on first use and re-opened with backoff when it drops.
/// </summary>
internal sealed class ImapReceiverSession(ImapConnector connector, ImapReceiverOptions options, TimeProvider timeProvider, ILogger logger) : IAsyncDisposable, IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ImapClient? client;
    private ImapFolder? selected;
    private bool disposed;

    /// <summary>The server, for messages.</summary>
    public string Server => connector.Server;

    /// <summary>
    /// Runs <paramref name="action"/> alone on this connection; (re)connects with backoff when it dropped and runs it
    /// again. Every action must therefore be safe to run twice: one cut off by a dropped connection may have been
    /// applied by the server in part or in full.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<ImapClient, ImapReceiverSession, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A fetch ahead or an acknowledgement that comes after the receiver was disposed must not reconnect.
            ObjectDisposedException.ThrowIf(disposed, this);
            for (var failures = 0; ;)
            {
                try
                {
                    if (client is not { IsConnected: true, IsAuthenticated: true })
                    {
                        Drop();
                        if (failures > 0)
                            await Task.Delay(Reconnect.Delay(failures, options.ReconnectBaseDelay, options.ReconnectMaxDelay), timeProvider, cancellationToken).ConfigureAwait(false);
                        client = await connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return await action(client, this, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // A command cut off halfway leaves the session in an unknown state.
                    Drop();
                    throw;
                }
                catch (Exception ex) when (Reconnect.IsTransient(ex, cancellationToken) || (ex is ImapCommandException && client is not { IsConnected: true }))
                {
                    Drop();
                    failures++;
                    ImapReceiverLog.ConnectionLost(logger, Server, ex.GetType().Name, failures, options.MaxConnectAttempts);
                    if (failures >= options.MaxConnectAttempts)
                        throw new IOException($"The IMAP connection to {Server} failed {failures} times in a row; giving up this operation.", ex);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The summaries of the messages asked for. The server also reports flag changes other sessions made meanwhile
    /// (another instance claiming, a person reading), as FETCH responses without a UID.
    /// </summary>
    public static List<IMessageSummary> Requested(IList<IMessageSummary> summaries, IEnumerable<UniqueId> requested)
    {
        var wanted = requested.Select(uid => uid.Id).ToHashSet();
        return summaries.Where(s => s.UniqueId.IsValid && wanted.Contains(s.UniqueId.Id)).ToList();
    }

    /// <summary>Selects a folder for reading and writing unless it is selected already (and <paramref name="fresh"/> is false).</summary>
    public async Task<ImapFolder> SelectAsync(string path, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && selected is { IsOpen: true, Access: FolderAccess.ReadWrite } current && string.Equals(FolderNames.FromServer(current), path, StringComparison.Ordinal))
            return current;
        var target = await ImapMailboxManager.GetFolderAsync(client!, path, cancellationToken).ConfigureAwait(false);
        await target.OpenAsync(FolderAccess.ReadWrite, cancellationToken).ConfigureAwait(false);
        selected = target;
        return target;
    }

    /// <summary>Logs out, politely and briefly, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            disposed = true;
            selected = null;
            if (client is { IsConnected: true })
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), timeProvider);
                    await client.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (Reconnect.IsTransient(ex, CancellationToken.None) || ex is ImapCommandException or OperationCanceledException)
                {
                    // Logging out is a courtesy; the server drops the session anyway.
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

    private void Drop()
    {
        selected = null;
        client?.Dispose();
        client = null;
    }
}
