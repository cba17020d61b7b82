using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Net.Pop3;
using MailKit.Security;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Receives over POP3, one session per pass: POP3 shows a snapshot of the maildrop taken at login, so new mail
/// only appears in a new session, and deletions are only committed by QUIT. Messages are told apart by UIDL;
/// the UIDLs of handled messages are kept in an <see cref="IMailboxStateStore"/>, pruned to those still on the
/// server, so a restart does not hand a message twice. Passes are serialized, and each pass owns its client.
/// </summary>
internal sealed class Pop3MailReceiver : IMailReceiver, IDisposable
{
    private readonly Pop3ReceiverOptions options;
    private readonly IMailboxStateStore store;
    private readonly string stateKey;
    private readonly string server;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly SemaphoreSlim passGate = new(1, 1);
    private readonly HashSet<string> pendingDeletes = new(StringComparer.Ordinal);

    public Pop3MailReceiver(Pop3ReceiverOptions options, IMailboxStateStore store, bool storeIsDurable, TimeProvider timeProvider, ILogger<Pop3MailReceiver> logger)
    {
        this.options = options;
        this.store = store;
        this.timeProvider = timeProvider;
        this.logger = logger;
        stateKey = options.EffectiveStateKey;
        server = $"{options.Host}:{options.EffectivePort}";
        if (options.DangerousAcceptAnyServerCertificate)
            ReceiverLog.DangerousCertificateOption(logger, server);
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
            var failures = 0;
            while (true)
            {
                // (Re)open a session and list it; after a dropped connection the message numbers change, so list again.
                client = await ConnectAsync(client, failures, cancellationToken).ConfigureAwait(false);
                IList<string> uids;
                IList<int> sizes;
                try
                {
                    uids = await client.GetMessageUidsAsync(cancellationToken).ConfigureAwait(false);
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
                    var uid = uids[index];
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

    /// <summary>Forgets handled UIDLs that are no longer on the server; returns the handled set.</summary>
    private async Task<HashSet<string>> PruneAsync(IList<string> uids, CancellationToken cancellationToken)
    {
        var onServer = new HashSet<string>(uids, StringComparer.Ordinal);
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
        try
        {
            var uids = await client.GetMessageUidsAsync(cancellationToken).ConfigureAwait(false);
            for (var index = 0; index < uids.Count; index++)
            {
                var uid = uids[index];
                if (handled.Contains(uid) && (options.DeleteAfterHandling || requested.Contains(uid, StringComparer.Ordinal)))
                {
                    await client.DeleteMessageAsync(index, cancellationToken).ConfigureAwait(false);
                    deleted.Add(uid);
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
            pendingDeletes.ExceptWith(requested);
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
            if (failures > 0)
                await Task.Delay(Backoff(failures), timeProvider, cancellationToken).ConfigureAwait(false);

            client = CreateClient();
            try
            {
                await client.ConnectAsync(options.Host, options.EffectivePort, options.EffectiveSecurity, cancellationToken).ConfigureAwait(false);
                if (!client.IsSecure)
                {
                    // Security=None is refused with credentials at start; this guards a server that was expected to be secure.
                    throw new AuthenticationException(
                        $"Refusing to send the credentials of user '{options.UserName}' to {server} over an unencrypted connection. Use Security=Auto, StartTls or SslOnConnect.");
                }

                await client.AuthenticateAsync(new NetworkCredential(options.UserName, options.Password), cancellationToken).ConfigureAwait(false);
                ReceiverLog.Pop3Connected(logger, server, client.SslProtocol.ToString());
                return client;
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                failures++;
                ReceiverLog.Pop3ConnectFailed(logger, server, ex.GetType().Name, failures, options.MaxConnectAttempts);
                if (failures >= options.MaxConnectAttempts)
                {
                    client.Dispose();
                    throw;
                }
            }
            catch
            {
                client.Dispose();
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

    private TimeSpan Backoff(int failures)
    {
        var exponential = options.ReconnectBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
        var capped = Math.Min(exponential, options.ReconnectMaxDelay.TotalMilliseconds);
        // Full jitter in the upper half keeps several instances from reconnecting in lockstep.
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    /// <summary>Failures a new session may fix: network, timeouts and protocol breakdowns; not authentication or TLS trust.</summary>
    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex switch
        {
            OperationCanceledException => !cancellationToken.IsCancellationRequested,
            SslHandshakeException or AuthenticationException => false,
            IOException or SocketException or Pop3ProtocolException or ServiceNotConnectedException or TimeoutException => true,
            _ => false,
        };

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "Only with the explicit, logged DangerousAcceptAnyServerCertificate development option.")]
    private Pop3Client CreateClient()
    {
        var client = new Pop3Client
        {
            Timeout = (int)Math.Clamp(options.Timeout.TotalMilliseconds, 1, int.MaxValue),
            CheckCertificateRevocation = options.CheckCertificateRevocation,
        };
        if (options.DangerousAcceptAnyServerCertificate)
            client.ServerCertificateValidationCallback = AcceptAnyCertificateForDevelopment;
        else if (options.ServerCertificateValidationCallback is not null)
            client.ServerCertificateValidationCallback = options.ServerCertificateValidationCallback;
        return client;
    }

    private bool AcceptAnyCertificateForDevelopment(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors != SslPolicyErrors.None)
            ReceiverLog.AcceptingInvalidCertificate(logger, server, errors.ToString(), certificate?.Subject);
        return true;
    }

    private sealed class Pop3Mail(Pop3MailReceiver receiver, byte[] raw) : ReceivedMail
    {
        public Pop3MailReceiver Receiver { get; } = receiver;

        public override ValueTask<Stream> OpenReadAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<Stream>(new MemoryStream(raw, writable: false));
    }
}
