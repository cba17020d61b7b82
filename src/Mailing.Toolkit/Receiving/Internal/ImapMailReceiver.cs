using System.Runtime.CompilerServices;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Receives over IMAP. The position in the work folder (<see cref="ImapReceiverOptions.ClaimFolder"/> when set,
/// else <see cref="ImapReceiverOptions.Folder"/>) is UIDVALIDITY plus the highest UID up to which every message was
/// handled, with UIDs handled out of order kept aside until the gap closes (see <see cref="ImapPosition"/>).
/// One connection (an <see cref="ImapSession"/>: one operation at a time, re-opened with backoff when it drops) searches,
/// claims, fetches and acknowledges; a second one, used only by <see cref="WaitForArrivalAsync"/>, sits in IDLE on the
/// arrival folder, so acknowledgements never wait for an IDLE to end. (A separate connection for acknowledgements was
/// measured and gained nothing: the fetching session then receives a flag-change notice for every message marked.)
/// With a claim folder, <see cref="ImapClaims"/> brings messages into it and decides which of them are this instance's.
/// </summary>
internal sealed class ImapMailReceiver : IMailReceiver, IMailArrivalNotifier, IAsyncDisposable, IDisposable
{
    private const int ChunkSize = 1024 * 1024;

    private readonly ImapConnector connector;
    private readonly ImapReceiverOptions options;
    private readonly IMailboxStateStore store;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly string stateKey;
    private readonly bool storeIsDurable;
    private readonly string folder;
    private readonly string workFolder;
    private readonly ImapSession connection;
    private readonly ImapClaims? claims;
    private readonly SemaphoreSlim passGate = new(1, 1);
    private readonly SemaphoreSlim idleGate = new(1, 1);
    private readonly GroupCommit<Acknowledgement> acknowledgements;
    private readonly GroupCommit<ImapMail> positions;
    private ImapClient? idleClient;
    private ImapFolder? idleFolder;
    private int idleFailures;
    private bool idleUnsupported;

    /// <summary>The UIDs that existed above the position at the last search, for advancing the position on acknowledgement.</summary>
    private volatile KnownUids known = new(0, []);

    /// <summary>UIDNEXT of the arrival folder when a pass last looked at it: mail above it arrived since.</summary>
    private long passUidNext;

    public ImapMailReceiver(ImapConnector connector, ImapOptions imap, ImapReceiverOptions options, IMailboxStateStore store, bool storeIsDurable, TimeProvider timeProvider, ILogger<ImapMailReceiver> logger)
    {
        this.connector = connector;
        this.options = options;
        this.store = store;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.storeIsDurable = storeIsDurable;
        folder = options.Folder;
        workFolder = options.WorkFolder;
        stateKey = string.IsNullOrWhiteSpace(options.StateKey) ? $"imap://{imap.UserName}@{imap.Server}/{workFolder}" : options.StateKey;
        var retry = new ImapRetryPolicy(options.MaxConnectAttempts, options.ReconnectBaseDelay, options.ReconnectMaxDelay, RetryFailedConnect: true, CheckAfterIdle: null);
        connection = new ImapSession(connector, retry, timeProvider, new SessionEvents(logger, options.MaxConnectAttempts));
        claims = string.IsNullOrWhiteSpace(options.ClaimFolder) ? null : new ImapClaims(connection, options, timeProvider, logger);
        acknowledgements = new(ApplyAsync, options.BatchSize);
        positions = new((batch, ct) => RecordAsync(batch.Select(p => p.Item), ct), maxBatch: 10_000);
        if (!storeIsDurable)
            ImapReceiverLog.StateNotDurable(logger, stateKey);
    }

    public async IAsyncEnumerable<ReceivedMail> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await passGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var yielded = new HashSet<uint>();
            while (true)
            {
                var claimed = claims is null ? 0 : await claims.ClaimAsync(cancellationToken).ConfigureAwait(false);
                if (claims is not null)
                    Interlocked.Exchange(ref passUidNext, claims.ArrivalUidNext);
                var (validity, pending) = await FindPendingAsync(cancellationToken).ConfigureAwait(false);
                pending.RemoveAll(yielded.Contains);
                var batches = pending.Chunk(options.BatchSize).ToList();
                // One batch ahead: the server reads the next batch while the caller handles this one (and the
                // acknowledgements of this one queue behind that fetch on the connection).
                Task<List<ImapMail>?>? next = batches.Count > 0 ? FetchAsync(validity, batches[0], cancellationToken) : null;
                try
                {
                    for (var i = 0; next is not null; i++)
                    {
                        var mails = await next.ConfigureAwait(false);
                        next = null;
                        if (mails is null)
                            yield break; // UIDVALIDITY changed under us: the next pass resyncs
                        if (i + 1 < batches.Count)
                            next = FetchAsync(validity, batches[i + 1], cancellationToken);
                        foreach (var mail in mails)
                        {
                            if (claims is { MayHand: false })
                            {
                                // Another instance may take these over once the lease expires: hand nothing more.
                                ImapReceiverLog.HandingPaused(logger, workFolder);
                                yield break;
                            }

                            yielded.Add(mail.Uid);
                            yield return mail;
                        }
                    }
                }
                finally
                {
                    // The caller stopped early: the fetch ahead is not wanted, but it must end before the pass does.
                    if (next is not null)
                        await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (claimed == 0)
                    break;
            }
        }
        finally
        {
            passGate.Release();
        }
    }

    /// <remarks>
    /// Acknowledgements are applied in sets: one that arrives while another set is on the wire waits for it and goes
    /// with the next set, as one <c>UID STORE</c> (or <c>UID MOVE</c> per target folder, or <c>UID STORE</c> plus
    /// <c>UID EXPUNGE</c>) over all their UIDs, and the position is written once per set. The task completes when the
    /// message's disposition was applied and its position recorded.
    /// </remarks>
    public async Task AcknowledgeAsync(ReceivedMail mail, MailDisposition disposition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mail);
        ArgumentNullException.ThrowIfNull(disposition);
        if (mail is not ImapMail imapMail || !ReferenceEquals(imapMail.Receiver, this))
            throw new ArgumentException("The message was not received by this IMAP receiver.", nameof(mail));
        if (disposition.Kind == MailDispositionKind.Move)
            FolderNames.Check(disposition.Folder!, nameof(disposition));

        // With a durable store, two group commits in a row: the disposition, then the position. While one set's
        // position is written (a state file: write, fsync, rename), the next set's command is already on the wire.
        // A position in memory costs nothing to write: the set that applied the dispositions records it too.
        var acknowledgement = new Acknowledgement(imapMail, disposition);
        await acknowledgements.SubmitAsync(acknowledgement, cancellationToken).ConfigureAwait(false);
        if (!acknowledgement.Applied)
            return;
        if (storeIsDurable)
            await positions.SubmitAsync(imapMail, cancellationToken).ConfigureAwait(false);
        ImapReceiverLog.Acknowledged(logger, mail.Id, disposition.Kind);
    }

    /// <summary>Records one set of acknowledged messages in the position: one state update (one file write).</summary>
    private async Task RecordAsync(IEnumerable<ImapMail> batch, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var snapshot = known;
        foreach (var set in batch.GroupBy(mail => mail.UidValidity))
        {
            var uids = set.Select(mail => mail.Uid).ToList();
            await store.UpdateAsync(stateKey, state => ImapPosition.RecordHandled(state, set.Key, uids, snapshot, now), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Applies one set of acknowledgements: one command per disposition (and target folder).</summary>
    private async Task ApplyAsync(IReadOnlyList<GroupCommit<Acknowledgement>.Pending> batch, CancellationToken cancellationToken)
    {
        var applied = await connection.RunAsync("acknowledge", async (imap, session, ct) =>
        {
            var source = await session.SelectAsync(workFolder, fresh: false, ct).ConfigureAwait(false);
            var done = new List<GroupCommit<Acknowledgement>.Pending>(batch.Count);
            foreach (var pending in batch)
            {
                if (pending.Item.Mail.UidValidity != source.UidValidity)
                    ImapReceiverLog.StaleAcknowledgement(logger, pending.Item.Mail.Id, workFolder, source.UidValidity);
            }

            // A retry after a dropped connection runs this again: sets applied before the drop are applied again,
            // which changes nothing (flags already set, UIDs already moved or expunged are skipped by the server).
            var current = batch.Where(p => p.Item.Mail.UidValidity == source.UidValidity && !p.IsCompleted);
            foreach (var set in current.GroupBy(p => p.Item.Disposition))
            {
                var uids = set.Select(p => new UniqueId(source.UidValidity, p.Item.Mail.Uid)).Distinct().OrderBy(uid => uid.Id).ToList();
                try
                {
                    await ApplyDispositionAsync(imap, source, set.Key, uids, ct).ConfigureAwait(false);
                    done.AddRange(set);
                }
                catch (ImapCommandException) when (imap.IsConnected && uids.Count > 1)
                {
                    // The server refused the set, perhaps for one message someone else expunged meanwhile (and may have
                    // applied it to the rest): one message at a time, so only the ones it refuses alone fail.
                    foreach (var pending in set)
                    {
                        try
                        {
                            await ApplyDispositionAsync(imap, source, set.Key, [new UniqueId(source.UidValidity, pending.Item.Mail.Uid)], ct).ConfigureAwait(false);
                            done.Add(pending);
                        }
                        catch (ImapCommandException ex) when (imap.IsConnected)
                        {
                            pending.Fail(ex);
                        }
                    }
                }
                catch (ImapCommandException ex) when (imap.IsConnected)
                {
                    // The server refused this message (a target folder it will not create, a quota).
                    foreach (var pending in set)
                        pending.Fail(ex);
                }
            }

            return done;
        }, cancellationToken).ConfigureAwait(false);

        foreach (var pending in applied)
            pending.Item.Applied = true;
        if (!storeIsDurable && applied.Count > 0)
            await RecordAsync(applied.Select(p => p.Item.Mail), cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyDispositionAsync(ImapClient imap, ImapFolder source, MailDisposition disposition, IList<UniqueId> uids, CancellationToken cancellationToken)
    {
        switch (disposition.Kind)
        {
            case MailDispositionKind.MarkSeen:
                await source.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true }, cancellationToken).ConfigureAwait(false);
                // In a claim folder, a message that keeps its owner's keyword is one still to hand (for a takeover).
                if (claims is not null)
                    await source.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, [claims.Keyword]) { Silent = true }, cancellationToken).ConfigureAwait(false);
                break;
            case MailDispositionKind.Move:
                var (destination, created) = await ImapFolders.EnsureAsync(imap, disposition.Folder!, cancellationToken).ConfigureAwait(false);
                if (created)
                    ImapReceiverLog.FolderCreated(logger, disposition.Folder!);
                // A handled message carries no claim: moved back into the arrival folder, it must not look claimed.
                if (claims is not null)
                    await source.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, [claims.Keyword]) { Silent = true }, cancellationToken).ConfigureAwait(false);
                await source.MoveToAsync(uids, destination, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await source.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, cancellationToken).ConfigureAwait(false);
                // UID EXPUNGE removes these messages only, not others another client flagged \Deleted; without
                // UIDPLUS they stay flagged \Deleted, which every search of the receiver excludes.
                if (imap.Capabilities.HasFlag(ImapCapabilities.UidPlus))
                    await source.ExpungeAsync(uids, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    public async Task WaitForArrivalAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var unlimited = timeout == Timeout.InfiniteTimeSpan;
        if (timeout <= TimeSpan.Zero && !unlimited)
            return;
        // With a claim folder, passes (and with them lease renewals seen by peers and takeovers) keep coming while idle.
        if (claims is not null && (unlimited || timeout > options.ClaimLease / 2))
        {
            timeout = options.ClaimLease / 2;
            unlimited = false;
        }

        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        if (!options.UseIdle || idleUnsupported)
        {
            await Task.Delay(unlimited || options.PollInterval < timeout ? options.PollInterval : timeout, timeProvider, cancellationToken).ConfigureAwait(false);
            return;
        }

        await idleGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await IdleAsync(deadline.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Reconnect.IsTransient(ex, cancellationToken))
        {
            // Mail may have arrived while the connection was down: report it and let the next pass look.
            idleFailures++;
            ImapReceiverLog.IdleConnectionLost(logger, connector.Server, ex.GetType().Name);
            DropIdle();
        }
        catch (OperationCanceledException)
        {
            DropIdle();
            throw;
        }
        finally
        {
            idleGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (claims is not null)
            await claims.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
        // An IDLE in progress ends with its wait; the connection is simply closed.
        DropIdle();
    }

    /// <summary>Closes every connection without logging out (a container disposed synchronously).</summary>
    public void Dispose()
    {
        claims?.Dispose();
        connection.Dispose();
        DropIdle();
    }

    /// <summary>Opens the work folder, resyncs when needed, tidies the position and returns the UIDs still to hand, oldest first.</summary>
    private Task<(uint Validity, List<uint> Pending)> FindPendingAsync(CancellationToken cancellationToken) =>
        connection.RunAsync("search", async (imap, session, ct) =>
        {
            // SELECT again at each pass: it reports UIDVALIDITY and UIDNEXT afresh, and some servers (Dovecot) do not
            // show a selected session messages that arrived since its last sync to a UID SEARCH.
            var work = await session.SelectAsync(workFolder, fresh: true, ct).ConfigureAwait(false);
            if (claims is null)
                Interlocked.Exchange(ref passUidNext, work.UidNext?.Id ?? 0);
            var validity = work.UidValidity;
            var state = await store.GetAsync(stateKey, ct).ConfigureAwait(false);
            if (state?.UidValidity != validity)
                state = await ResyncAsync(work, state, ct).ConfigureAwait(false);

            var range = new UniqueIdRange(validity, (uint)Math.Min(state.LastUid + 1, uint.MaxValue), uint.MaxValue);
            // "n:*" also matches the highest UID when it is below n (RFC 9051 6.4.8): keep only what is above.
            var found = await work.SearchAsync(SearchQuery.Uids(range).And(SearchQuery.NotDeleted), ct).ConfigureAwait(false);
            var uids = found.Select(uid => uid.Id).Where(uid => uid > state.LastUid).Order().ToArray();
            var snapshot = new KnownUids(validity, uids);
            known = snapshot;
            var now = timeProvider.GetUtcNow();
            state = await store.UpdateAsync(stateKey, current => ImapPosition.Compact(current, snapshot, now), ct).ConfigureAwait(false);
            var handled = ImapPosition.HandledSet(state);
            return (validity, uids.Where(uid => uid > state.LastUid && !handled.Contains(uid)).ToList());
        }, cancellationToken);

    /// <summary>
    /// A first run or a changed UIDVALIDITY: the old UIDs mean nothing now. Messages not flagged \Seen (nor
    /// \Deleted) are taken as not handled and handed (again); the seen ones as handled. This neither re-handles a
    /// mailbox whose handled mail is marked seen nor skips mail nobody has read.
    /// </summary>
    private async Task<MailboxState> ResyncAsync(ImapFolder work, MailboxState? previous, CancellationToken cancellationToken)
    {
        var validity = work.UidValidity;
        var all = await work.SearchAsync(SearchQuery.All, cancellationToken).ConfigureAwait(false);
        // In a claim folder, what still carries this instance's keyword is still to hand; elsewhere, what is unseen.
        var toHand = claims is null ? SearchQuery.NotSeen.And(SearchQuery.NotDeleted) : SearchQuery.HasKeyword(claims.Keyword).And(SearchQuery.NotDeleted);
        var unseen = all.Count == 0 ? [] : await work.SearchAsync(toHand, cancellationToken).ConfigureAwait(false);
        var baseline = ImapPosition.Baseline(validity, all.Select(uid => uid.Id), unseen.Select(uid => uid.Id), timeProvider.GetUtcNow());
        if (previous is null)
            ImapReceiverLog.PositionStarted(logger, stateKey, validity, unseen.Count);
        else
            ImapReceiverLog.UidValidityChanged(logger, stateKey, previous.UidValidity ?? 0, validity, unseen.Count);
        return await store.UpdateAsync(stateKey, current => current?.UidValidity == validity ? current : baseline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches sizes, dates and bodies of one batch (bodies up to <see cref="ImapReceiverOptions.MaxPrefetchSize"/>
    /// each and <see cref="ImapReceiverOptions.MaxPrefetchBatchBytes"/> together); null when UIDVALIDITY changed.
    /// </summary>
    private async Task<List<ImapMail>?> FetchAsync(uint validity, uint[] batch, CancellationToken cancellationToken)
    {
        var (mails, notOurs) = await connection.RunAsync("fetch", async (imap, session, ct) =>
        {
            var work = await session.SelectAsync(workFolder, fresh: false, ct).ConfigureAwait(false);
            if (work.UidValidity != validity)
                return ((List<ImapMail>?)null, new List<uint>());
            var ids = batch.Select(uid => new UniqueId(validity, uid)).ToList();
            var summaries = ImapFolders.Requested(await work.FetchAsync(ids, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.InternalDate | MessageSummaryItems.Flags), ct).ConfigureAwait(false), ids);
            // In a claim folder, only what carries this instance's keyword alone is handed: a message without it was
            // acknowledged already, one with another instance's keyword too was taken over while the lease lapsed.
            var notOurs = claims is null ? [] : summaries.Where(s => !claims.IsOwned(s.Keywords)).Select(s => s.UniqueId.Id).ToList();
            if (notOurs.Count > 0)
                summaries = summaries.Where(s => claims!.IsOwned(s.Keywords)).ToList();
            var small = new List<UniqueId>();
            var budget = options.MaxPrefetchBatchBytes;
            foreach (var summary in summaries.Where(s => s.Flags?.HasFlag(MessageFlags.Deleted) != true && (s.Size ?? 0) <= options.MaxPrefetchSize))
            {
                // What does not fit the batch's budget is streamed when opened, like a large message.
                if (small.Count > 0 && (summary.Size ?? 0) > budget)
                    continue;
                budget -= summary.Size ?? 0;
                small.Add(summary.UniqueId);
            }

            var prefetched = small.Select(uid => uid.Id).ToHashSet();
            var bodies = new Dictionary<uint, byte[]>();
            if (small.Count > 0)
            {
                // One UID FETCH BODY.PEEK[] for the whole batch: PEEK leaves \Seen alone.
                await work.GetStreamsAsync(small, async (_, _, uid, stream, token) =>
                {
                    if (stream.CanSeek)
                    {
                        // MailKit hands each body as an in-memory stream of known length: one copy, exactly sized.
                        var body = new byte[stream.Length - stream.Position];
                        await stream.ReadExactlyAsync(body, token).ConfigureAwait(false);
                        bodies[uid.Id] = body;
                        return;
                    }

                    using var buffer = new MemoryStream();
                    await stream.CopyToAsync(buffer, token).ConfigureAwait(false);
                    bodies[uid.Id] = buffer.ToArray();
                }, ct).ConfigureAwait(false);
            }

            // A message expunged by someone else since the search is simply not there any more.
            List<ImapMail>? list = summaries
                .Where(s => s.Flags?.HasFlag(MessageFlags.Deleted) != true && (bodies.ContainsKey(s.UniqueId.Id) || !prefetched.Contains(s.UniqueId.Id)))
                .OrderBy(s => s.UniqueId.Id)
                .Select(s => new ImapMail(this, validity, s.UniqueId.Id, bodies.GetValueOrDefault(s.UniqueId.Id))
                {
                    Id = $"{validity}:{s.UniqueId.Id}",
                    Mailbox = stateKey,
                    ReceivedAt = s.InternalDate,
                    Size = s.Size,
                })
                .ToList();
            return (list, notOurs);
        }, cancellationToken).ConfigureAwait(false);

        // Not ours to hand, so no acknowledgement will record them: the position moves over them now.
        if (notOurs.Count > 0)
        {
            var snapshot = known;
            var now = timeProvider.GetUtcNow();
            await store.UpdateAsync(stateKey, state => ImapPosition.RecordHandled(state, validity, notOurs, snapshot, now), cancellationToken).ConfigureAwait(false);
        }

        return mails;
    }

    /// <summary>Streams a large body into a temporary file, one BODY.PEEK[]&lt;offset.count&gt; chunk at a time.</summary>
    private async Task<Stream> DownloadAsync(ImapMail mail, CancellationToken cancellationToken)
    {
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await connection.RunAsync("download", async (imap, session, ct) =>
            {
                var work = await session.SelectAsync(workFolder, fresh: false, ct).ConfigureAwait(false);
                if (work.UidValidity != mail.UidValidity)
                    throw new MessageNotFoundException($"Message {mail.Id} is no longer in '{workFolder}': its UIDVALIDITY changed.");
                file.SetLength(0);
                for (var offset = 0; ; offset += ChunkSize)
                {
                    using var chunk = await work.GetStreamAsync(new UniqueId(mail.UidValidity, mail.Uid), offset, ChunkSize, ct).ConfigureAwait(false);
                    var before = file.Length;
                    await chunk.CopyToAsync(file, ct).ConfigureAwait(false);
                    if (file.Length - before < ChunkSize)
                        return true;
                }
            }, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits on the IDLE connection until the arrival folder grows or <paramref name="deadline"/> fires, re-issuing
    /// IDLE every <see cref="ImapReceiverOptions.IdleRestartInterval"/>.
    /// </summary>
    private async Task IdleAsync(CancellationToken deadline, CancellationToken cancellationToken)
    {
        if (idleClient is not { IsConnected: true, IsAuthenticated: true } || idleFolder is null)
        {
            DropIdle();
            if (idleFailures > 0)
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline, cancellationToken);
                try
                {
                    await Task.Delay(ExponentialBackoff.Delay(idleFailures, options.ReconnectBaseDelay, options.ReconnectMaxDelay), timeProvider, either.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }

            idleClient = await connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
            if (!idleClient.Capabilities.HasFlag(ImapCapabilities.Idle))
            {
                idleUnsupported = true;
                ImapReceiverLog.IdleUnsupported(logger, connector.Server);
                DropIdle();
                return;
            }

            idleFolder = await ImapFolders.GetAsync(idleClient, folder, cancellationToken).ConfigureAwait(false);
            await idleFolder.OpenAsync(FolderAccess.ReadOnly, cancellationToken).ConfigureAwait(false);
            idleFailures = 0;
            // A fresh session cannot have seen EXISTS: compare with what the last pass saw instead.
            if ((idleFolder.UidNext?.Id ?? 0) > Interlocked.Read(ref passUidNext))
                return;
        }

        var watched = idleFolder;
        using var arrived = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        var baseline = watched.Count;
        void OnCountChanged(object? sender, EventArgs e)
        {
            // EXPUNGE lowers the count (another instance claimed or someone deleted); only growth means arrival.
            if (watched.Count > baseline)
                arrived.Cancel();
            else
                baseline = watched.Count;
        }

        watched.CountChanged += OnCountChanged;
        try
        {
            // Picks up what arrived between two waits (EXISTS is reported with the NOOP's response).
            await idleClient.NoOpAsync(cancellationToken).ConfigureAwait(false);
            while (!arrived.IsCancellationRequested)
            {
                using var restart = CancellationTokenSource.CreateLinkedTokenSource(arrived.Token);
                restart.CancelAfter(options.IdleRestartInterval);
                await idleClient.IdleAsync(restart.Token, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            watched.CountChanged -= OnCountChanged;
        }
    }

    private void DropIdle()
    {
        idleFolder = null;
        idleClient?.Dispose();
        idleClient = null;
    }

    private sealed record Acknowledgement(ImapMail Mail, MailDisposition Disposition)
    {
        /// <summary>Set when the disposition was applied; false for a message of a UIDVALIDITY that is gone.</summary>
        public bool Applied { get; set; }
    }

    private sealed class ImapMail(ImapMailReceiver receiver, uint uidValidity, uint uid, byte[]? body) : ReceivedMail
    {
        public ImapMailReceiver Receiver { get; } = receiver;

        public uint UidValidity { get; } = uidValidity;

        public uint Uid { get; } = uid;

        public override async ValueTask<Stream> OpenReadAsync(CancellationToken cancellationToken = default) =>
            body is not null ? new MemoryStream(body, writable: false) : await Receiver.DownloadAsync(this, cancellationToken).ConfigureAwait(false);
    }

    private sealed class SessionEvents(ILogger logger, int maxAttempts) : IImapSessionEvents
    {
        public void ConnectionLost(string server, string operation, Exception error, int failures, bool retrying) =>
            ImapReceiverLog.ConnectionLost(logger, server, error.GetType().Name, failures, maxAttempts);

        // Logging out is a courtesy; the server drops the session anyway.
        public void LogoutFailed(string server, Exception error)
        {
        }
    }
}
