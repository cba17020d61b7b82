using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Mailboxes.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Receives over IMAP. The position in the work folder (<see cref="ImapReceiverOptions.ClaimFolder"/> when set,
/// else <see cref="ImapReceiverOptions.Folder"/>) is UIDVALIDITY plus the highest UID up to which every message was
/// handled, with UIDs handled out of order kept aside until the gap closes (see <see cref="ImapPosition"/>).
/// One connection (a <see cref="Session"/>: one operation at a time, re-opened with backoff when it drops) searches,
/// claims, fetches and acknowledges; a second one, used only by <see cref="WaitForArrivalAsync"/>, sits in IDLE on the
/// arrival folder, so acknowledgements never wait for an IDLE to end. (A separate connection for acknowledgements was
/// measured and gained nothing: the fetching session then receives a flag-change notice for every message marked.)
/// </summary>
internal sealed class ImapMailReceiver : IMailReceiver, IMailArrivalNotifier, IAsyncDisposable, IDisposable
{
    private const int ChunkSize = 1024 * 1024;

    /// <summary>Claim attempts in a row that another instance won entirely, before a pass stops claiming.</summary>
    private const int MaxLostClaims = 20;

    /// <summary>The prefix of the claim keywords; the rest is a hash of the instance's claim folder.</summary>
    private const string ClaimKeywordPrefix = "$MailingClaim";

    private readonly ImapConnector connector;
    private readonly ImapReceiverOptions options;
    private readonly IMailboxStateStore store;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly string stateKey;
    private readonly string folder;
    private readonly string? claimFolder;
    private readonly string workFolder;
    private readonly string claimKeyword;
    private readonly Session connection;
    private readonly SemaphoreSlim passGate = new(1, 1);
    private readonly SemaphoreSlim idleGate = new(1, 1);
    private readonly GroupCommit<Acknowledgement> acknowledgements;
    private readonly GroupCommit<ImapMail> positions;
    private ImapClient? idleClient;
    private ImapFolder? idleFolder;
    private int idleFailures;
    private bool idleUnsupported;
    private int lostClaims;

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
        folder = options.Folder;
        claimFolder = string.IsNullOrWhiteSpace(options.ClaimFolder) ? null : options.ClaimFolder;
        workFolder = options.WorkFolder;
        claimKeyword = ClaimKeywordPrefix + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(workFolder)), 0, 6);
        stateKey = string.IsNullOrWhiteSpace(options.StateKey) ? $"imap://{imap.UserName}@{imap.Server}/{workFolder}" : options.StateKey;
        connection = new Session(this);
        acknowledgements = new(ApplyAsync, options.BatchSize);
        positions = new(RecordAsync, maxBatch: 10_000);
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
                var claimed = claimFolder is null ? 0 : await ClaimAsync(claimFolder, cancellationToken).ConfigureAwait(false);
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

        // Two group commits in a row: the disposition, then the position. While one set's position is written (a
        // state file: write, fsync, rename), the next set's command is already on the wire.
        var acknowledgement = new Acknowledgement(imapMail, disposition);
        await acknowledgements.SubmitAsync(acknowledgement, cancellationToken).ConfigureAwait(false);
        if (!acknowledgement.Applied)
            return;
        await positions.SubmitAsync(imapMail, cancellationToken).ConfigureAwait(false);
        ImapReceiverLog.Acknowledged(logger, mail.Id, disposition.Kind);
    }

    /// <summary>Records one set of acknowledged messages in the position: one state update (one file write).</summary>
    private async Task RecordAsync(IReadOnlyList<GroupCommit<ImapMail>.Pending> batch, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var snapshot = known;
        foreach (var set in batch.GroupBy(p => p.Item.UidValidity))
        {
            var uids = set.Select(p => p.Item.Uid).ToList();
            await store.UpdateAsync(stateKey, state => ImapPosition.RecordHandled(state, set.Key, uids, snapshot, now), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Applies one set of acknowledgements: one command per disposition (and target folder).</summary>
    private async Task ApplyAsync(IReadOnlyList<GroupCommit<Acknowledgement>.Pending> batch, CancellationToken cancellationToken)
    {
        var applied = await connection.RunAsync(async (imap, session, ct) =>
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
    }

    private async Task ApplyDispositionAsync(ImapClient imap, ImapFolder source, MailDisposition disposition, IList<UniqueId> uids, CancellationToken cancellationToken)
    {
        switch (disposition.Kind)
        {
            case MailDispositionKind.MarkSeen:
                await source.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true }, cancellationToken).ConfigureAwait(false);
                break;
            case MailDispositionKind.Move:
                var (destination, created) = await ImapMailboxManager.EnsureFolderAsync(imap, disposition.Folder!, cancellationToken).ConfigureAwait(false);
                if (created)
                    ImapReceiverLog.FolderCreated(logger, disposition.Folder!);
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
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
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
        await connection.DisposeAsync().ConfigureAwait(false);
        // An IDLE in progress ends with its wait; the connection is simply closed.
        DropIdle();
    }

    /// <summary>Closes every connection without logging out (a container disposed synchronously).</summary>
    public void Dispose()
    {
        connection.Dispose();
        DropIdle();
    }

    /// <summary>
    /// Claims up to one batch from the arrival folder and moves it into the claim folder; returns how many this
    /// instance claimed. A message is claimed with a conditional store (CONDSTORE <c>UNCHANGEDSINCE</c>) of this
    /// instance's keyword: of two instances storing at once, the server lets exactly one succeed, while a multi-message
    /// MOVE that races another is not atomic on every server (Dovecot copies part of the set and answers NO). Messages
    /// carrying our keyword but still in the arrival folder (a crash between store and move) are moved first.
    /// </summary>
    private Task<int> ClaimAsync(string claim, CancellationToken cancellationToken) =>
        connection.RunAsync(async (imap, session, ct) =>
        {
            if (!imap.Capabilities.HasFlag(ImapCapabilities.Move) || !imap.Capabilities.HasFlag(ImapCapabilities.CondStore))
            {
                throw new NotSupportedException(
                    $"{connector.Server} does not support MOVE (RFC 6851) and CONDSTORE (RFC 7162), so messages cannot be claimed safely: remove ClaimFolder and run a single instance.");
            }

            var (target, created) = await ImapMailboxManager.EnsureFolderAsync(imap, claim, ct).ConfigureAwait(false);
            if (created)
                ImapReceiverLog.FolderCreated(logger, claim);
            var source = await session.SelectAsync(folder, fresh: true, ct).ConfigureAwait(false);
            Interlocked.Exchange(ref passUidNext, source.UidNext?.Id ?? 0);
            if (source.Count == 0)
                return 0;

            var mine = await source.SearchAsync(SearchQuery.HasKeyword(claimKeyword).And(SearchQuery.NotDeleted), ct).ConfigureAwait(false);
            var claimed = mine.OrderBy(uid => uid.Id).Take(options.BatchSize).ToList();
            if (claimed.Count == 0)
            {
                var candidates = await source.SearchAsync(SearchQuery.NotDeleted, ct).ConfigureAwait(false);
                // Look a little past one batch: messages other instances claimed but did not move yet are skipped.
                var window = candidates.OrderBy(uid => uid.Id).Take(options.BatchSize * 4).ToList();
                if (window.Count == 0)
                    return 0;
                var summaries = Requested(await source.FetchAsync(window, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq), ct).ConfigureAwait(false), window);
                var free = summaries
                    .Where(s => s.Keywords?.Any(k => k.StartsWith(ClaimKeywordPrefix, StringComparison.OrdinalIgnoreCase)) != true)
                    .OrderBy(s => s.UniqueId.Id)
                    .Take(options.BatchSize)
                    .ToList();
                if (free.Count == 0)
                    return 0;
                // Any store by another instance since this FETCH raises a message's MODSEQ above every value fetched.
                var request = new StoreFlagsRequest(StoreAction.Add, [claimKeyword])
                {
                    Silent = true,
                    UnchangedSince = free.Max(s => s.ModSeq ?? 0),
                };
                var refused = await source.StoreAsync(free.Select(s => s.UniqueId).ToList(), request, ct).ConfigureAwait(false);
                var lost = refused.Select(uid => uid.Id).ToHashSet();
                claimed = free.Select(s => s.UniqueId).Where(uid => !lost.Contains(uid.Id)).ToList();
                if (claimed.Count == 0)
                {
                    // Another instance won every message of the window: let it move them, then look again.
                    return ++lostClaims >= MaxLostClaims ? ResetLostClaims() : free.Count;
                }
            }

            lostClaims = 0;
            // Only this instance holds these messages now, so nobody else moves or expunges them meanwhile; a MOVE
            // lost with a dropped connection is repeated by the next pass (they still carry the keyword).
            await source.MoveToAsync(claimed, target, ct).ConfigureAwait(false);
            ImapReceiverLog.Claimed(logger, claimed.Count, folder, claim);
            return claimed.Count;
        }, cancellationToken);

    private int ResetLostClaims()
    {
        lostClaims = 0;
        return 0;
    }

    /// <summary>Opens the work folder, resyncs when needed, tidies the position and returns the UIDs still to hand, oldest first.</summary>
    private Task<(uint Validity, List<uint> Pending)> FindPendingAsync(CancellationToken cancellationToken) =>
        connection.RunAsync(async (imap, session, ct) =>
        {
            // SELECT again at each pass: it reports UIDVALIDITY and UIDNEXT afresh, and some servers (Dovecot) do not
            // show a selected session messages that arrived since its last sync to a UID SEARCH.
            var work = await session.SelectAsync(workFolder, fresh: true, ct).ConfigureAwait(false);
            if (claimFolder is null)
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
        var unseen = all.Count == 0 ? [] : await work.SearchAsync(SearchQuery.NotSeen.And(SearchQuery.NotDeleted), cancellationToken).ConfigureAwait(false);
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
    private Task<List<ImapMail>?> FetchAsync(uint validity, uint[] batch, CancellationToken cancellationToken) =>
        connection.RunAsync(async (imap, session, ct) =>
        {
            var work = await session.SelectAsync(workFolder, fresh: false, ct).ConfigureAwait(false);
            if (work.UidValidity != validity)
                return null;
            var ids = batch.Select(uid => new UniqueId(validity, uid)).ToList();
            var summaries = Requested(await work.FetchAsync(ids, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.InternalDate | MessageSummaryItems.Flags), ct).ConfigureAwait(false), ids);
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
            return summaries
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
        }, cancellationToken);

    /// <summary>
    /// The summaries of the messages asked for. The server also reports flag changes other sessions made meanwhile
    /// (another instance claiming, a person reading), as FETCH responses without a UID.
    /// </summary>
    private static List<IMessageSummary> Requested(IList<IMessageSummary> summaries, IList<UniqueId> requested)
    {
        var wanted = requested.Select(uid => uid.Id).ToHashSet();
        return summaries.Where(s => s.UniqueId.IsValid && wanted.Contains(s.UniqueId.Id)).ToList();
    }

    /// <summary>Streams a large body into a temporary file, one BODY.PEEK[]&lt;offset.count&gt; chunk at a time.</summary>
    private async Task<Stream> DownloadAsync(ImapMail mail, CancellationToken cancellationToken)
    {
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await connection.RunAsync(async (imap, session, ct) =>
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
                    await Task.Delay(Backoff(idleFailures), timeProvider, either.Token).ConfigureAwait(false);
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

            idleFolder = await ImapMailboxManager.GetFolderAsync(idleClient, folder, cancellationToken).ConfigureAwait(false);
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

    private TimeSpan Backoff(int failures)
    {
        var exponential = options.ReconnectBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
        var capped = Math.Min(exponential, options.ReconnectMaxDelay.TotalMilliseconds);
        // Jitter in the upper half keeps several instances from reconnecting in lockstep.
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    /// <summary>Failures a new connection may fix: network, timeouts and protocol breakdowns; not authentication or TLS trust.</summary>
    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex switch
        {
            OperationCanceledException => !cancellationToken.IsCancellationRequested,
            SslHandshakeException or AuthenticationException => false,
            IOException or SocketException or ImapProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException or TimeoutException => true,
            _ => false,
        };

    /// <summary>
    /// One IMAP connection of the receiver, handed to one operation at a time by a semaphore (so "ImapClient is busy"
    /// cannot happen), connected on first use and re-opened with backoff when it drops.
    /// </summary>
    private sealed class Session(ImapMailReceiver receiver) : IAsyncDisposable, IDisposable
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private ImapClient? client;
        private ImapFolder? selected;
        private bool disposed;

        /// <summary>Runs <paramref name="action"/> alone on this connection; (re)connects with backoff when it dropped and runs it again.</summary>
        public async Task<T> RunAsync<T>(Func<ImapClient, Session, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
        {
            var options = receiver.options;
            var server = receiver.connector.Server;
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // A fetch ahead or an acknowledgement that comes after the receiver was disposed must not reconnect.
                ObjectDisposedException.ThrowIf(disposed, receiver);
                for (var failures = 0; ;)
                {
                    try
                    {
                        if (client is not { IsConnected: true, IsAuthenticated: true })
                        {
                            Drop();
                            if (failures > 0)
                                await Task.Delay(receiver.Backoff(failures), receiver.timeProvider, cancellationToken).ConfigureAwait(false);
                            client = await receiver.connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
                        }

                        // Every operation here can run twice safely: searches, fetches, flag stores, UID MOVE and UID
                        // EXPUNGE of messages that are already gone do nothing.
                        return await action(client, this, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        // A command cut off halfway leaves the session in an unknown state.
                        Drop();
                        throw;
                    }
                    catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken) || (ex is ImapCommandException && client is not { IsConnected: true }))
                    {
                        Drop();
                        failures++;
                        ImapReceiverLog.ConnectionLost(receiver.logger, server, ex.GetType().Name, failures, options.MaxConnectAttempts);
                        if (failures >= options.MaxConnectAttempts)
                            throw new IOException($"The IMAP connection to {server} failed {failures} times in a row; giving up this operation.", ex);
                    }
                }
            }
            finally
            {
                gate.Release();
            }
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
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), receiver.timeProvider);
                        await client.DisconnectAsync(quit: true, timeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsConnectionFailure(ex, CancellationToken.None) || ex is ImapCommandException or OperationCanceledException)
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
}

/// <summary>The UIDs above the position that existed in the work folder at the last search, ascending.</summary>
internal sealed record KnownUids(uint UidValidity, uint[] Uids);

/// <summary>
/// The position rules, free of I/O. <see cref="MailboxState.LastUid"/> only moves over a run of handled messages:
/// a UID handled before an older one is kept in <see cref="MailboxState.HandledIds"/> until every message below it
/// was handled too. UIDs are not dense (expunged and moved messages leave gaps), so "every message below" means every
/// one the last search found; a UID the search did not find is gone for good, since new mail always gets a higher UID.
/// </summary>
internal static class ImapPosition
{
    public static HashSet<uint> HandledSet(MailboxState state)
    {
        var set = new HashSet<uint>();
        foreach (var id in state.HandledIds)
        {
            if (uint.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid))
                set.Add(uid);
        }

        return set;
    }

    /// <summary>The position after a resync: seen (or deleted) messages count as handled, unseen ones are to hand.</summary>
    public static MailboxState Baseline(uint validity, IEnumerable<uint> all, IEnumerable<uint> unseen, DateTimeOffset now)
    {
        var existing = all.Order().ToArray();
        var toHand = unseen.ToHashSet();
        var last = toHand.Count == 0 ? existing.LastOrDefault() : toHand.Min() - 1;
        return new MailboxState
        {
            UidValidity = validity,
            LastUid = last,
            HandledIds = existing.Where(uid => uid > last && !toHand.Contains(uid)).Select(Format).ToArray(),
            UpdatedAt = now,
        };
    }

    /// <summary>Records handled UIDs and moves the position over the run they complete.</summary>
    public static MailboxState RecordHandled(MailboxState? state, uint validity, IReadOnlyCollection<uint> uids, KnownUids known, DateTimeOffset now)
    {
        // A position of another UIDVALIDITY (a resync happened meanwhile) is not these messages' business.
        if (state is null || state.UidValidity != validity)
            return state ?? new MailboxState();
        var handled = HandledSet(state);
        var added = false;
        foreach (var uid in uids)
            added |= uid > state.LastUid && handled.Add(uid);
        return added ? Advance(state, handled, known.UidValidity == validity ? known.Uids : [], now) : state;
    }

    /// <summary>Moves the position over the handled run at the bottom of a fresh search and forgets what it passed.</summary>
    public static MailboxState Compact(MailboxState? state, KnownUids known, DateTimeOffset now)
    {
        if (state is null || state.UidValidity != known.UidValidity)
            return state ?? new MailboxState();
        var next = Advance(state, HandledSet(state), known.Uids, now);
        return next.LastUid == state.LastUid && next.HandledIds.Count == state.HandledIds.Count ? state : next;
    }

    private static MailboxState Advance(MailboxState state, HashSet<uint> handled, uint[] known, DateTimeOffset now)
    {
        var last = state.LastUid;
        uint? firstPending = null;
        foreach (var uid in known)
        {
            if (uid > last && !handled.Contains(uid))
            {
                firstPending = uid;
                break;
            }
        }

        // Everything known and handled below the first message still to hand (or everything, when none is) is done.
        foreach (var uid in known.Concat(handled))
        {
            if (uid > last && (firstPending is null || uid < firstPending))
                last = uid;
        }

        return state with
        {
            LastUid = last,
            HandledIds = handled.Where(uid => uid > last).Order().Select(Format).ToArray(),
            UpdatedAt = now,
        };
    }

    private static string Format(uint uid) => uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Log events of the IMAP receiver, EventIds 3130-3169.</summary>
internal static partial class ImapReceiverLog
{
    [LoggerMessage(EventId = 3130, Level = LogLevel.Information, Message = "IMAP position {StateKey} starts at UIDVALIDITY {UidValidity}: {Unseen} unseen messages are handed, seen ones count as handled")]
    public static partial void PositionStarted(ILogger logger, string stateKey, uint uidValidity, int unseen);

    [LoggerMessage(EventId = 3131, Level = LogLevel.Warning, Message = "UIDVALIDITY of {StateKey} changed from {Old} to {New}: the old position is void; {Unseen} unseen messages are handed (again), seen ones count as handled")]
    public static partial void UidValidityChanged(ILogger logger, string stateKey, long old, uint @new, int unseen);

    [LoggerMessage(EventId = 3132, Level = LogLevel.Warning, Message = "The IMAP connection to {Server} failed ({Error}), attempt {Attempt} of {MaxAttempts}; reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string server, string error, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 3133, Level = LogLevel.Debug, Message = "IMAP message {Id} acknowledged: {Disposition}")]
    public static partial void Acknowledged(ILogger logger, string id, MailDispositionKind disposition);

    [LoggerMessage(EventId = 3134, Level = LogLevel.Warning, Message = "IMAP message {Id} cannot be acknowledged: UIDVALIDITY of '{Folder}' is now {UidValidity}; the resync hands it again unless it is marked seen")]
    public static partial void StaleAcknowledgement(ILogger logger, string id, string folder, uint uidValidity);

    [LoggerMessage(EventId = 3135, Level = LogLevel.Information, Message = "Created IMAP folder '{Folder}'")]
    public static partial void FolderCreated(ILogger logger, string folder);

    [LoggerMessage(EventId = 3136, Level = LogLevel.Debug, Message = "Claimed {Count} messages from '{Folder}' into '{ClaimFolder}'")]
    public static partial void Claimed(ILogger logger, int count, string folder, string claimFolder);

    [LoggerMessage(EventId = 3137, Level = LogLevel.Warning, Message = "The IMAP IDLE connection to {Server} dropped ({Error}); the next wait reconnects")]
    public static partial void IdleConnectionLost(ILogger logger, string server, string error);

    [LoggerMessage(EventId = 3138, Level = LogLevel.Information, Message = "{Server} does not support IDLE; waiting for new mail by polling")]
    public static partial void IdleUnsupported(ILogger logger, string server);

    [LoggerMessage(EventId = 3139, Level = LogLevel.Warning, Message = "The IMAP receiver {StateKey} keeps its position in memory only: after a restart, unseen messages are handed again. Set StateFilePath or register an IMailboxStateStore.")]
    public static partial void StateNotDurable(ILogger logger, string stateKey);
}
