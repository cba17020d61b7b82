using System.Runtime.CompilerServices;
using MailKit.Net.Pop3;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Receives over POP3, one session per pass: POP3 shows a snapshot of the maildrop taken at login, so new mail
/// only appears in a new session, and deletions are only committed by QUIT. Messages are told apart by UIDL;
/// the UIDLs of handled messages are kept in an <see cref="IMailboxStateStore"/>, pruned to those still on the
/// server, so a restart does not hand a message twice. Passes are serialized, and each pass owns its client.
/// Connecting (TLS rules, password or OAuth2 with one token refresh), the reconnect policy and the redacted protocol
/// log are the ones the IMAP receiver uses (<see cref="MailServiceConnector{TClient}"/>, <see cref="Reconnect"/>).
/// </summary>
internal sealed class Pop3MailReceiver : IMailReceiver, IDisposable
{
    private readonly Pop3ReceiverOptions options;
    private readonly IMailboxStateStore store;
    private readonly string stateKey;
    private readonly string server;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly MailServiceConnector<Pop3Client> connector;
    private readonly SemaphoreSlim passGate = new(1, 1);
    private readonly HashSet<string> pendingDeletes = new(StringComparer.Ordinal);

    public Pop3MailReceiver(Pop3ReceiverOptions options, IMailboxStateStore store, bool storeIsDurable, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.store = store;
        this.timeProvider = timeProvider;
        logger = loggerFactory.CreateLogger<Pop3MailReceiver>();
        stateKey = options.EffectiveStateKey;
        var wireLogger = loggerFactory.CreateLogger(Pop3WireLogger.Category);
        connector = new(
            MailConnectionSettings.For(options),
            () => new Pop3Client(new Pop3WireLogger(wireLogger)),
            new Events(logger));
        server = connector.Server;
        if (!storeIsDurable && !options.DeleteAfterHandling)
            ReceiverLog.Pop3StateNotDurable(logger, server);
    }

    public async IAsyncEnumerable<ReceivedMail> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await passGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Pop3Client? client = null;
        try
        {
            var yielded = new HashSet<string>(StringComparer.Ordinal);
            var withoutUid = new HashSet<int>(); // message numbers logged as having no UIDL, once per pass
            var failures = 0;
            while (true)
            {
                // (Re)open a session and list it; after a dropped connection the message numbers change, so list again.
                client = await ConnectAsync(client, failures, cancellationToken).ConfigureAwait(false);
                IReadOnlyList<string?> uids;
                IList<int> sizes;
                try
                {
                    uids = await ListUidsAsync(client, cancellationToken).ConfigureAwait(false);
                    sizes = await client.GetMessageSizesAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
                {
                    failures = OnDropped(ex, failures);
                    continue;
                }

                var handled = await PruneAsync(uids, cancellationToken).ConfigureAwait(false);
                var dropped = false;
                for (var index = 0; index < uids.Count; index++)
                {
                    if (uids[index] is not { } uid)
                    {
                        if (withoutUid.Add(index + 1))
                            ReceiverLog.Pop3MessageWithoutUid(logger, index + 1, server);
                        continue;
                    }

                    if (handled.Contains(uid) || yielded.Contains(uid))
                        continue;

                    byte[] raw;
                    try
                    {
                        raw = await RetrieveAsync(client, index, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
                    {
                        failures = OnDropped(ex, failures);
                        dropped = true;
                        break;
                    }
                    catch (Pop3CommandException ex)
                    {
                        // A server that is shutting the session down answers -ERR before closing (Dovecot on kick);
                        // otherwise this one message cannot be read now and must not block the others.
                        if (!await IsAliveAsync(client, cancellationToken).ConfigureAwait(false))
                        {
                            failures = OnDropped(ex, failures);
                            dropped = true;
                            break;
                        }

                        ReceiverLog.Pop3RetrieveFailed(logger, uid, server, ex.Message);
                        continue;
                    }

                    failures = 0;
                    yielded.Add(uid);
                    yield return new Pop3Mail(this, raw)
                    {
                        Id = uid,
                        Mailbox = stateKey,
                        Size = index < sizes.Count ? sizes[index] : raw.Length,
                    };
                }

                if (!dropped)
                    break;
            }

            await CommitAsync(client, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            client?.Dispose();
            passGate.Release();
        }
    }

    public async Task AcknowledgeAsync(ReceivedMail mail, MailDisposition disposition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mail);
        ArgumentNullException.ThrowIfNull(disposition);
        if (mail is not Pop3Mail pop3Mail || !ReferenceEquals(pop3Mail.Receiver, this))
            throw new ArgumentException("The message was not received by this POP3 receiver.", nameof(mail));
        if (disposition.Kind == MailDispositionKind.Move)
        {
            throw new NotSupportedException(
                $"POP3 has no folders, so message {mail.Id} cannot be moved to '{disposition.Folder}'. Acknowledge with MailDisposition.MarkSeen " +
                "(recorded as handled) or MailDisposition.Delete, or receive over IMAP (AddImapReceiver) to move messages.");
        }

        // Recorded first: once handled, a message is never handed again, even if its deletion is not committed yet.
        var now = timeProvider.GetUtcNow();
        await store.UpdateAsync(stateKey, state => AddHandled(state, mail.Id, now), cancellationToken).ConfigureAwait(false);
        if (disposition.Kind == MailDispositionKind.Delete)
        {
            lock (pendingDeletes)
                pendingDeletes.Add(mail.Id);
        }
    }

    public void Dispose() => passGate.Dispose();

    private static MailboxState AddHandled(MailboxState? state, string uid, DateTimeOffset now)
    {
        state ??= new MailboxState();
        return state.HandledIds.Contains(uid, StringComparer.Ordinal)
            ? state
            : state with { HandledIds = [.. state.HandledIds, uid], UpdatedAt = now };
    }

    /// <summary>
    /// The UIDL of every message by its number (index + 1); null for a message the server lists no UIDL for. One UIDL
    /// command when the listing is complete; MailKit rejects a listing with a gap, and then each message is asked for
    /// its own (UIDL n), so one message without a UIDL does not stop the others.
    /// </summary>
    private static async Task<IReadOnlyList<string?>> ListUidsAsync(Pop3Client client, CancellationToken cancellationToken)
    {
        try
        {
            return [.. await client.GetMessageUidsAsync(cancellationToken).ConfigureAwait(false)];
        }
        catch (Pop3ProtocolException) when (client.IsConnected)
        {
            var uids = new string?[client.Count];
            for (var index = 0; index < uids.Length; index++)
            {
                try
                {
                    uids[index] = await client.GetMessageUidAsync(index, cancellationToken).ConfigureAwait(false);
                }
                catch (Pop3CommandException)
                {
                    uids[index] = null;
                }
            }

            return uids;
        }
    }

    /// <summary>Forgets handled UIDLs that are no longer on the server; returns the handled set.</summary>
    private async Task<HashSet<string>> PruneAsync(IReadOnlyList<string?> uids, CancellationToken cancellationToken)
    {
        var onServer = new HashSet<string>(uids.OfType<string>(), StringComparer.Ordinal);
        var state = await store.GetAsync(stateKey, cancellationToken).ConfigureAwait(false);
        if (state is not null && state.HandledIds.Any(id => !onServer.Contains(id)))
        {
            var now = timeProvider.GetUtcNow();
            state = await store.UpdateAsync(
                stateKey,
                current => current is null ? new MailboxState() : current with { HandledIds = current.HandledIds.Where(onServer.Contains).ToArray(), UpdatedAt = now },
                cancellationToken).ConfigureAwait(false);
        }

        return new HashSet<string>(state?.HandledIds ?? [], StringComparer.Ordinal);
    }

    private static async Task<byte[]> RetrieveAsync(Pop3Client client, int index, CancellationToken cancellationToken)
    {
        using var stream = await client.GetStreamAsync(index, headersOnly: false, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>
    /// Deletes the handled messages that are to be deleted and says QUIT, which commits the deletions. Runs on
    /// the pass's own session only, so the message numbers are those the session listed.
    /// </summary>
    private async Task CommitAsync(Pop3Client client, CancellationToken cancellationToken)
    {
        if (!client.IsConnected)
            return;
        var state = await store.GetAsync(stateKey, cancellationToken).ConfigureAwait(false);
        var handled = new HashSet<string>(state?.HandledIds ?? [], StringComparer.Ordinal);
        string[] requested;
        lock (pendingDeletes)
            requested = [.. pendingDeletes];

        var deleted = new List<string>();
        var refused = new List<string>();
        try
        {
            var uids = await ListUidsAsync(client, cancellationToken).ConfigureAwait(false);
            for (var index = 0; index < uids.Count; index++)
            {
                if (uids[index] is not { } uid || !handled.Contains(uid) || !(options.DeleteAfterHandling || requested.Contains(uid, StringComparer.Ordinal)))
                    continue;
                try
                {
                    await client.DeleteMessageAsync(index, cancellationToken).ConfigureAwait(false);
                    deleted.Add(uid);
                }
                catch (Pop3CommandException ex)
                {
                    // One refusal must not roll back the others: QUIT still commits them, this one is tried next pass.
                    ReceiverLog.Pop3DeleteRefused(logger, uid, server, ex.Message);
                    refused.Add(uid);
                }
            }

            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            // Without QUIT the server rolls the deletions back; the messages stay handled and are deleted by a later pass.
            ReceiverLog.Pop3CommitFailed(logger, server, ex.GetType().Name);
            return;
        }

        lock (pendingDeletes)
            pendingDeletes.ExceptWith(requested.Except(refused, StringComparer.Ordinal));
        if (deleted.Count > 0)
            ReceiverLog.Pop3Deleted(logger, deleted.Count, server);
    }

    private async Task<Pop3Client> ConnectAsync(Pop3Client? client, int failures, CancellationToken cancellationToken)
    {
        if (client is { IsConnected: true, IsAuthenticated: true })
            return client;

        while (true)
        {
            client?.Dispose();
            client = null;
            if (failures > 0)
                await Task.Delay(ExponentialBackoff.Delay(failures, options.ReconnectBaseDelay, options.ReconnectMaxDelay), timeProvider, cancellationToken).ConfigureAwait(false);

            try
            {
                return await connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                failures++;
                ReceiverLog.Pop3ConnectFailed(logger, server, ex.GetType().Name, failures, options.MaxConnectAttempts);
                if (failures >= options.MaxConnectAttempts)
                    throw;
            }
        }
    }

    private static async Task<bool> IsAliveAsync(Pop3Client client, CancellationToken cancellationToken)
    {
        try
        {
            await client.NoOpAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken) || ex is Pop3CommandException)
        {
            return false;
        }
    }

    private int OnDropped(Exception ex, int failures)
    {
        ReceiverLog.Pop3ConnectionDropped(logger, server, ex.GetType().Name);
        failures++;
        return failures >= options.MaxConnectAttempts ? throw new IOException($"The POP3 connection to {server} dropped {failures} times in a row; giving up this pass.", ex) : failures;
    }

    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) => Reconnect.IsTransient(ex, cancellationToken);

    /// <summary>The connector's events, under this receiver's category and event ids.</summary>
    private sealed class Events(ILogger logger) : IMailConnectionEvents
    {
        public void AcceptsAnyCertificate(string server) => ReceiverLog.DangerousCertificateOption(logger, server);

        public void AcceptingInvalidCertificate(string server, string errors, string? subject) => ReceiverLog.AcceptingInvalidCertificate(logger, server, errors, subject);

        public void TokenRejected(string server) => ReceiverLog.Pop3TokenRejected(logger, server);

        public void Connected(string server, bool secure, string protocol) => ReceiverLog.Pop3Connected(logger, server, protocol);
    }

    private sealed class Pop3Mail(Pop3MailReceiver receiver, byte[] raw) : ReceivedMail
    {
        public Pop3MailReceiver Receiver { get; } = receiver;

        public override ValueTask<Stream> OpenReadAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<Stream>(new MemoryStream(raw, writable: false));
    }
}
