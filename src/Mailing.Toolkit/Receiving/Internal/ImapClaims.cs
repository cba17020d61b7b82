using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Mailing.Toolkit.Imap.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// The claim protocol of <see cref="ImapReceiverOptions.ClaimFolder"/>, written down step by step in docs/receiving.md
/// ("Several instances on one mailbox"). In short:
/// <list type="number">
/// <item>A message belongs to the instance whose claim keyword the server confirmed: a conditional store
/// (CONDSTORE <c>UNCHANGEDSINCE</c>) of the keyword, and the untagged FETCH the server answers it with showing that
/// keyword and no other claim keyword. Nothing is inferred from a fetch made before the store.</item>
/// <item>Only the owner moves its messages into its claim folder. A MOVE whose reply was lost, or that a crash cut off,
/// may have copied without expunging; before moving again, the owner looks for the copies at the end of its claim
/// folder and only expunges the originals of those it finds.</item>
/// <item>The owner keeps a lease on its claim folder (an IMAP METADATA entry it rewrites every third of
/// <see cref="ImapReceiverOptions.ClaimLease"/>). Another instance that sees the entry unchanged for a whole lease
/// takes the unhandled messages over, with the same conditional store; the owner hands nothing while its lease is
/// stale, and after a lapse it re-asserts its claims with a conditional store before handing again (the fence), so
/// of the two, the server lets exactly one have each message.</item>
/// </list>
/// Every method runs inside <see cref="ImapSession"/>.RunAsync, one at a time, and is safe to run again after a
/// dropped connection.
/// </summary>
internal sealed class ImapClaims : IAsyncDisposable, IDisposable
{
    /// <summary>The prefix of the claim keywords; the rest is a hash of the owner's claim folder.</summary>
    public const string KeywordPrefix = "$MailingClaim";

    /// <summary>Toggled by the fence: a store that changes every held message's MODSEQ, so a takeover racing it fails.</summary>
    private const string FenceKeyword = "$MailingFence";

    /// <summary>Rounds in a row without a claim (every candidate was won by another instance, or MOVE refused), before a pass stops claiming.</summary>
    private const int MaxFruitlessRounds = 20;

    private static readonly MetadataTag LeaseTag = new("/shared/vendor/mailing-toolkit/claim-lease");

    private readonly ImapSession session;
    private readonly ImapReceiverOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly string instance = Guid.NewGuid().ToString("N")[..12];
    private readonly Dictionary<string, Observation> peers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private Task? renewals;
    private bool folderReady;
    private bool? leasesSupported;
    private long renewalCount;
    private long lastRenewal = long.MinValue;
    private long lastPeerScan = long.MinValue;
    private volatile bool fenceNeeded = true;
    private int fruitlessRounds;
    private int disposed;
    private long arrivalUidNext;

    public ImapClaims(ImapSession session, ImapReceiverOptions options, TimeProvider time, ILogger logger)
    {
        this.session = session;
        this.options = options;
        this.time = time;
        this.logger = logger;
        Folder = options.ClaimFolder!;
        Keyword = KeywordOf(Folder);
    }

    /// <summary>This instance's claim folder.</summary>
    public string Folder { get; }

    /// <summary>This instance's claim keyword.</summary>
    public string Keyword { get; }

    /// <summary>UIDNEXT of the arrival folder at the last claim round: mail above it arrived since.</summary>
    public long ArrivalUidNext => Interlocked.Read(ref arrivalUidNext);

    /// <summary>
    /// Whether this instance may hand out what its claim folder holds: its lease was renewed within two thirds of
    /// <see cref="ImapReceiverOptions.ClaimLease"/> and re-asserted after any lapse (always, on a server without METADATA,
    /// where there are no leases and no takeover).
    /// </summary>
    public bool MayHand => leasesSupported != true || (!fenceNeeded && Elapsed(Interlocked.Read(ref lastRenewal)) < options.ClaimLease * 2 / 3);

    /// <summary>The claim keyword of the instance whose claim folder is <paramref name="claimFolder"/>.</summary>
    public static string KeywordOf(string claimFolder) =>
        KeywordPrefix + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(claimFolder)), 0, 6);

    /// <summary>Whether a message with these keywords is this instance's: it carries our claim keyword and no other.</summary>
    public bool IsOwned(IEnumerable<string>? keywords) => Holds(keywords, Keyword, previousOwner: null);

    /// <summary>
    /// One claim round: renews the lease when due, fences after a lapse, takes over expired peers, finishes moves this
    /// instance started, then claims up to one batch from the arrival folder. Returns how many messages this round
    /// brought into the claim folder, or a positive number when another round may bring more (0: stop claiming).
    /// </summary>
    public Task<int> ClaimAsync(CancellationToken cancellationToken) =>
        session.RunAsync("claim", async (imap, session, ct) =>
        {
            if (!imap.Capabilities.HasFlag(ImapCapabilities.Move) || !imap.Capabilities.HasFlag(ImapCapabilities.CondStore))
            {
                throw new NotSupportedException(
                    $"{session.Server} does not support MOVE (RFC 6851) and CONDSTORE (RFC 7162), so messages cannot be claimed safely: remove ClaimFolder and run a single instance.");
            }

            if (!folderReady)
            {
                var (_, created) = await ImapFolders.EnsureAsync(imap, Folder, ct).ConfigureAwait(false);
                if (created)
                    ImapReceiverLog.FolderCreated(logger, Folder);
                folderReady = true;
            }

            var brought = 0;
            if (LeasesSupported(imap))
            {
                if (Elapsed(Interlocked.Read(ref lastRenewal)) >= options.ClaimLease / 3)
                    await RenewAsync(imap, ct).ConfigureAwait(false);
                renewals ??= Task.Run(RenewPeriodicallyAsync, CancellationToken.None);
                if (fenceNeeded)
                    await FenceAsync(session, ct).ConfigureAwait(false);
                if (Elapsed(lastPeerScan) >= options.ClaimLease / 3)
                {
                    brought += await TakeOverAsync(imap, session, ct).ConfigureAwait(false);
                    // Only after a complete scan: a scan cut off by a dropped connection runs again first.
                    lastPeerScan = time.GetTimestamp();
                }
            }

            var arrival = await session.SelectAsync(options.Folder, fresh: true, ct).ConfigureAwait(false);
            Interlocked.Exchange(ref arrivalUidNext, arrival.UidNext?.Id ?? 0);
            var (claimed, contested) = arrival.Count == 0 ? (0, 0) : await ClaimFromAsync(imap, session, options.Folder, previousOwner: null, takeover: null, ct).ConfigureAwait(false);
            brought += claimed;
            if (brought > 0)
            {
                fruitlessRounds = 0;
                return brought;
            }

            // Everything in view was won by other instances (which move it away) or a MOVE was refused: look again a few
            // times, then leave it to the next pass.
            if (contested > 0 && ++fruitlessRounds < MaxFruitlessRounds)
                return contested;
            fruitlessRounds = 0;
            return 0;
        }, cancellationToken);

    /// <summary>
    /// Claims up to one batch in <paramref name="sourcePath"/> and moves it into the claim folder: first the messages
    /// this instance claimed there before but did not move (beside <paramref name="previousOwner"/>'s keyword, in a
    /// peer's folder), else free ones: without a claim keyword, or for a takeover held by <paramref name="takeover"/>,
    /// whose lease expired, and nobody else. Returns the messages moved and the candidates others won.
    /// </summary>
    private async Task<(int Claimed, int Contested)> ClaimFromAsync(ImapClient imap, ImapSession session, string sourcePath, string? previousOwner, Peer? takeover, CancellationToken ct)
    {
        var source = await session.SelectAsync(sourcePath, fresh: false, ct).ConfigureAwait(false);
        var unfinished = await source.SearchAsync(SearchQuery.HasKeyword(Keyword).And(SearchQuery.NotDeleted), ct).ConfigureAwait(false);
        if (unfinished.Count > 0)
        {
            var held = ImapFolders.Requested(await source.FetchAsync(unfinished, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags), ct).ConfigureAwait(false), unfinished);
            var ours = held.Where(s => Holds(s.Keywords, Keyword, previousOwner)).Select(s => s.UniqueId).OrderBy(uid => uid.Id).Take(options.BatchSize).ToList();
            await ReleaseAsync(source, held.Where(s => !Holds(s.Keywords, Keyword, previousOwner)).Select(s => s.UniqueId).ToList(), ct).ConfigureAwait(false);
            if (ours.Count > 0)
                return (await MoveAsync(imap, session, sourcePath, ours, previousOwner, finishing: true, ct).ConfigureAwait(false), 0);
        }

        if (takeover is null && previousOwner is not null)
            return (0, 0);
        var query = previousOwner is null ? SearchQuery.NotDeleted : SearchQuery.HasKeyword(previousOwner).And(SearchQuery.NotDeleted);
        var candidates = await source.SearchAsync(query, ct).ConfigureAwait(false);
        // Look a little past one batch: messages other instances claimed but did not move yet are skipped.
        var window = candidates.OrderBy(uid => uid.Id).Take(options.BatchSize * 4).ToList();
        if (window.Count == 0)
            return (0, 0);
        var summaries = ImapFolders.Requested(await source.FetchAsync(window, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq), ct).ConfigureAwait(false), window);
        var free = summaries
            .Where(s => previousOwner is null ? !HasAnyClaim(s.Keywords) : Holds(s.Keywords, previousOwner, previousOwner: null))
            .OrderBy(s => s.UniqueId.Id)
            .Take(options.BatchSize)
            .ToList();
        if (free.Count == 0)
            return (0, 0);
        if (takeover is not null && !await StillExpiredAsync(imap, takeover, ct).ConfigureAwait(false))
            return (0, 0);

        var answers = await StoreConditionallyAsync(source, free, StoreAction.Add, Keyword, ct).ConfigureAwait(false);
        var claimed = new List<UniqueId>();
        var conflicted = new List<UniqueId>();
        foreach (var summary in free)
        {
            if (!answers.TryGetValue(summary.UniqueId.Id, out var keywords) || !Contains(keywords, Keyword))
                continue; // refused (another store came first) or gone
            (Holds(keywords, Keyword, previousOwner) ? claimed : conflicted).Add(summary.UniqueId);
        }

        // A server whose conditional store let two instances in shows both keywords to at least the later one: it
        // withdraws, and so does the other if it saw both too; the message is free again for the next round.
        await ReleaseAsync(source, conflicted, ct).ConfigureAwait(false);
        if (conflicted.Count > 0)
            ImapReceiverLog.ClaimConflict(logger, conflicted.Count, sourcePath);
        if (claimed.Count == 0)
            return (0, free.Count);
        return (await MoveAsync(imap, session, sourcePath, claimed, previousOwner, finishing: false, ct).ConfigureAwait(false), 0);
    }

    /// <summary>
    /// Moves claimed messages into the claim folder. When <paramref name="finishing"/> a move this instance started
    /// before (the reply lost, the process killed), copies it may have left at the end of the claim folder are found
    /// first, and only their originals expunged, so no message lands there twice. Messages taken over from
    /// <paramref name="previousOwner"/> lose its keyword before they move, so in the claim folder they carry ours alone.
    /// </summary>
    private async Task<int> MoveAsync(ImapClient imap, ImapSession session, string sourcePath, List<UniqueId> uids, string? previousOwner, bool finishing, CancellationToken ct)
    {
        var copied = finishing ? await FindCopiesAsync(session, sourcePath, uids, ct).ConfigureAwait(false) : [];
        var source = await session.SelectAsync(sourcePath, fresh: false, ct).ConfigureAwait(false);
        if (copied.Count > 0)
        {
            await source.StoreAsync(copied, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, ct).ConfigureAwait(false);
            if (imap.Capabilities.HasFlag(ImapCapabilities.UidPlus))
                await source.ExpungeAsync(copied, ct).ConfigureAwait(false);
            ImapReceiverLog.MoveFinished(logger, copied.Count, sourcePath, Folder);
        }

        var rest = uids.Except(copied).ToList();
        if (rest.Count == 0)
            return copied.Count;
        if (previousOwner is not null)
        {
            // Ours already (the conditional store proved it), so a plain store: a fence of the previous owner racing it has lost.
            await source.StoreAsync(rest, new StoreFlagsRequest(StoreAction.Remove, [previousOwner]) { Silent = true }, ct).ConfigureAwait(false);
        }

        var target = await ImapFolders.GetAsync(imap, Folder, ct).ConfigureAwait(false);
        try
        {
            var map = await source.MoveToAsync(rest, target, ct).ConfigureAwait(false);
            ImapReceiverLog.Claimed(logger, rest.Count, sourcePath, Folder, map.Destination.Count);
        }
        catch (ImapCommandException ex) when (imap.IsConnected)
        {
            // Some servers copy part of a set before answering NO: the next round finishes the move as above.
            ImapReceiverLog.MoveRefused(logger, rest.Count, sourcePath, Folder, ex.Response.ToString(), ex.ResponseText);
            return ++fruitlessRounds < MaxFruitlessRounds ? rest.Count : 0;
        }

        return uids.Count;
    }

    /// <summary>
    /// The originals among <paramref name="uids"/> (in <paramref name="sourcePath"/>) already copied to the claim folder by
    /// a move that did not finish: only this instance adds to its claim folder, one move at a time, so such copies are
    /// among its last messages. A copy keeps the original's Message-ID, internal date and size.
    /// </summary>
    private async Task<List<UniqueId>> FindCopiesAsync(ImapSession session, string sourcePath, List<UniqueId> uids, CancellationToken ct)
    {
        var request = new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.InternalDate | MessageSummaryItems.Size | MessageSummaryItems.Envelope);
        var source = await session.SelectAsync(sourcePath, fresh: false, ct).ConfigureAwait(false);
        var originals = ImapFolders.Requested(await source.FetchAsync(uids, request, ct).ConfigureAwait(false), uids);
        var own = await session.SelectAsync(Folder, fresh: true, ct).ConfigureAwait(false);
        if (own.Count == 0)
            return [];
        var first = Math.Max(0, own.Count - (2 * originals.Count) - options.BatchSize);
        var tail = (await own.FetchAsync(first, own.Count - 1, request, ct).ConfigureAwait(false)).Where(s => s.UniqueId.IsValid);
        var copies = new Dictionary<(string?, DateTimeOffset?, ulong?), int>();
        foreach (var copy in tail)
            copies[Identity(copy)] = copies.GetValueOrDefault(Identity(copy)) + 1;
        var found = new List<UniqueId>();
        foreach (var original in originals)
        {
            if (copies.GetValueOrDefault(Identity(original)) is > 0 and var left)
            {
                copies[Identity(original)] = left - 1;
                found.Add(original.UniqueId);
            }
        }

        return found;

        static (string?, DateTimeOffset?, ulong?) Identity(IMessageSummary s) => (s.Envelope?.MessageId, s.InternalDate, s.Size);
    }

    /// <summary>
    /// After a start or a lapse of the lease: re-asserts every claim in the claim folder with a conditional store that
    /// changes its MODSEQ. A takeover by another instance that raced the lapse either came first (the fence is refused
    /// and the message is theirs) or fails itself.
    /// </summary>
    private async Task FenceAsync(ImapSession session, CancellationToken ct)
    {
        var own = await session.SelectAsync(Folder, fresh: true, ct).ConfigureAwait(false);
        var held = await own.SearchAsync(SearchQuery.HasKeyword(Keyword).And(SearchQuery.NotDeleted), ct).ConfigureAwait(false);
        var lost = 0;
        foreach (var chunk in held.OrderBy(uid => uid.Id).Chunk(Math.Max(options.BatchSize, 100)))
        {
            var summaries = ImapFolders.Requested(await own.FetchAsync(chunk, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.ModSeq), ct).ConfigureAwait(false), chunk);
            foreach (var group in summaries.Where(s => IsOwned(s.Keywords)).GroupBy(s => Contains(s.Keywords, FenceKeyword)))
            {
                var action = group.Key ? StoreAction.Remove : StoreAction.Add;
                var answers = await StoreConditionallyAsync(own, group.ToList(), action, FenceKeyword, ct).ConfigureAwait(false);
                lost += group.Count(s => !answers.TryGetValue(s.UniqueId.Id, out var keywords) || !IsOwned(keywords));
            }

            lost += summaries.Count(s => !IsOwned(s.Keywords));
        }

        fenceNeeded = false;
        if (lost > 0)
            ImapReceiverLog.ClaimsTakenOver(logger, lost, Folder);
    }

    /// <summary>
    /// Looks at the sibling claim folders: finishes moves this instance started from them, and takes over the
    /// unhandled messages of those whose lease stayed unchanged for a whole lease (and their claims left in the arrival
    /// folder). Returns how many messages came into the claim folder.
    /// </summary>
    private async Task<int> TakeOverAsync(ImapClient imap, ImapSession session, CancellationToken ct)
    {
        var brought = 0;
        foreach (var (path, lease) in await ReadPeerLeasesAsync(imap, ct).ConfigureAwait(false))
        {
            if (!peers.TryGetValue(path, out var seen) || seen.Value != lease.Value)
                peers[path] = seen = new Observation(lease.Value, time.GetTimestamp());
            var expired = Elapsed(seen.Since) >= lease.Duration ? new Peer(path, lease) : null;
            // Our own unfinished moves out of the peer folder always; its unhandled messages and its claims left in the
            // arrival folder once its lease expired.
            brought += await DrainAsync(imap, session, path, lease.Keyword, expired, ct).ConfigureAwait(false);
            if (expired is not null)
                brought += await DrainAsync(imap, session, options.Folder, lease.Keyword, expired, ct).ConfigureAwait(false);
        }

        return brought;
    }

    /// <summary>Claims from <paramref name="sourcePath"/> batch after batch until nothing is left to bring.</summary>
    private async Task<int> DrainAsync(ImapClient imap, ImapSession session, string sourcePath, string previousOwner, Peer? expired, CancellationToken ct)
    {
        var brought = 0;
        while (true)
        {
            var (claimed, _) = await ClaimFromAsync(imap, session, sourcePath, previousOwner, expired, ct).ConfigureAwait(false);
            if (claimed == 0)
                return brought;
            brought += claimed;
            if (expired is not null)
                ImapReceiverLog.TookOver(logger, claimed, sourcePath, Folder);
        }
    }

    /// <summary>Just before a takeover store: the peer's lease entry is still the value observed unchanged for a whole lease.</summary>
    private async Task<bool> StillExpiredAsync(ImapClient imap, Peer peer, CancellationToken ct)
    {
        var folder = await ImapFolders.GetAsync(imap, peer.Path, ct).ConfigureAwait(false);
        var value = await folder.GetMetadataAsync(LeaseTag, ct).ConfigureAwait(false);
        if (string.Equals(value, peer.Lease.Value, StringComparison.Ordinal))
            return true;
        peers[peer.Path] = new Observation(value ?? "", time.GetTimestamp());
        ImapReceiverLog.PeerAlive(logger, peer.Path);
        return false;
    }

    /// <summary>The lease entries of the claim folder's siblings (the folders next to it that carry one), ours excluded.</summary>
    private async Task<List<(string Path, Lease Lease)>> ReadPeerLeasesAsync(ImapClient imap, CancellationToken ct)
    {
        var slash = Folder.LastIndexOf('/');
        var parent = slash < 0
            ? imap.GetFolder(imap.PersonalNamespaces[0])
            : await ImapFolders.GetAsync(imap, Folder[..slash], ct).ConfigureAwait(false);
        var result = new List<(string, Lease)>();
        foreach (var sibling in await parent.GetSubfoldersAsync(subscribedOnly: false, ct).ConfigureAwait(false))
        {
            var path = FolderNames.FromServer(sibling);
            if (string.Equals(path, Folder, StringComparison.Ordinal) || string.Equals(path, options.Folder, StringComparison.Ordinal))
                continue;
            string? value;
            try
            {
                value = await sibling.GetMetadataAsync(LeaseTag, ct).ConfigureAwait(false);
            }
            catch (ImapCommandException) when (imap.IsConnected)
            {
                continue; // a folder we may not read
            }

            if (Lease.TryParse(value, out var lease) && !string.Equals(lease.Keyword, Keyword, StringComparison.OrdinalIgnoreCase))
                result.Add((path, lease));
        }

        return result;
    }

    private bool LeasesSupported(ImapClient imap)
    {
        if (leasesSupported is null)
        {
            leasesSupported = imap.Capabilities.HasFlag(ImapCapabilities.Metadata);
            if (leasesSupported == false)
                ImapReceiverLog.LeasesUnsupported(logger, session.Server, Folder);
        }

        return leasesSupported.Value;
    }

    /// <summary>Rewrites the lease entry of the claim folder with a new value; a renewal after a lapse asks for the fence.</summary>
    private async Task RenewAsync(ImapClient imap, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var previous = Interlocked.Read(ref lastRenewal);
        var own = await ImapFolders.GetAsync(imap, Folder, ct).ConfigureAwait(false);
        var value = new Lease(Keyword, instance, ++renewalCount, options.ClaimLease).ToString();
        await own.SetMetadataAsync(new MetadataCollection { new Metadata(LeaseTag, value) }, ct).ConfigureAwait(false);
        if (previous != long.MinValue && time.GetElapsedTime(previous, started) >= options.ClaimLease * 2 / 3)
        {
            fenceNeeded = true;
            ImapReceiverLog.LeaseLapsed(logger, Folder);
        }

        Interlocked.Exchange(ref lastRenewal, started);
    }

    private async Task RenewPeriodicallyAsync()
    {
        var token = stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.ClaimLease / 3, time, token).ConfigureAwait(false);
                await session.RunAsync("renew the lease", async (imap, _, ct) =>
                {
                    await RenewAsync(imap, ct).ConfigureAwait(false);
                    return true;
                }, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or ImapCommandException or ImapProtocolException)
            {
                // The lease goes stale: this instance stops handing until a renewal succeeds and the fence has run.
                ImapReceiverLog.LeaseRenewalFailed(logger, Folder, ex.GetType().Name);
            }
        }
    }

    /// <summary>
    /// A conditional store (UNCHANGEDSINCE the highest MODSEQ fetched) of one keyword, not silent: returns the keywords
    /// of every message as the server reported them in its answer, by UID. A message the store did not change (refused
    /// as modified meanwhile, or gone) is reported with other flags or not at all.
    /// </summary>
    private static async Task<Dictionary<uint, IReadOnlySet<string>?>> StoreConditionallyAsync(ImapFolder folder, List<IMessageSummary> messages, StoreAction action, string keyword, CancellationToken ct)
    {
        var answers = new Dictionary<uint, IReadOnlySet<string>?>();
        void OnFlagsChanged(object? sender, MessageFlagsChangedEventArgs e)
        {
            if (e.UniqueId is { } uid)
                answers[uid.Id] = e.Keywords;
        }

        var request = new StoreFlagsRequest(action, [keyword])
        {
            Silent = false,
            UnchangedSince = messages.Max(s => s.ModSeq ?? 0),
        };
        folder.MessageFlagsChanged += OnFlagsChanged;
        try
        {
            await folder.StoreAsync(messages.Select(s => s.UniqueId).ToList(), request, ct).ConfigureAwait(false);
        }
        finally
        {
            folder.MessageFlagsChanged -= OnFlagsChanged;
        }

        return answers;
    }

    /// <summary>Withdraws this instance's keyword from messages it does not hold alone.</summary>
    private async Task ReleaseAsync(ImapFolder folder, List<UniqueId> uids, CancellationToken ct)
    {
        if (uids.Count > 0)
            await folder.StoreAsync(uids, new StoreFlagsRequest(StoreAction.Remove, [Keyword]) { Silent = true }, ct).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="keywords"/> carry <paramref name="keyword"/>, and no claim keyword but it and <paramref name="previousOwner"/>.</summary>
    private static bool Holds(IEnumerable<string>? keywords, string keyword, string? previousOwner)
    {
        if (keywords is null)
            return false;
        var found = false;
        foreach (var k in keywords)
        {
            if (string.Equals(k, keyword, StringComparison.OrdinalIgnoreCase))
                found = true;
            else if (k.StartsWith(KeywordPrefix, StringComparison.OrdinalIgnoreCase) && !string.Equals(k, previousOwner, StringComparison.OrdinalIgnoreCase))
                return false;
        }

        return found;
    }

    private static bool HasAnyClaim(IEnumerable<string>? keywords) =>
        keywords?.Any(k => k.StartsWith(KeywordPrefix, StringComparison.OrdinalIgnoreCase)) == true;

    private static bool Contains(IEnumerable<string>? keywords, string keyword) =>
        keywords?.Any(k => string.Equals(k, keyword, StringComparison.OrdinalIgnoreCase)) == true;

    private TimeSpan Elapsed(long timestamp) => timestamp == long.MinValue ? TimeSpan.MaxValue : time.GetElapsedTime(timestamp);

    /// <summary>Stops renewing the lease (the receiver is registered twice, so this may run twice).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        await stopping.CancelAsync().ConfigureAwait(false);
        if (renewals is not null)
            await renewals.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stopping.Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        stopping.Cancel();
        stopping.Dispose();
    }

    /// <summary>A sibling claim folder and its lease entry.</summary>
    private sealed record Peer(string Path, Lease Lease);

    /// <summary>A peer's lease value and since when (local clock) it has not changed.</summary>
    private sealed record Observation(string Value, long Since);

    /// <summary>The lease entry: the owner's keyword, its instance, a renewal counter and the lease duration.</summary>
    private readonly record struct Lease(string Keyword, string Instance, long Renewal, TimeSpan Duration)
    {
        public string Value => ToString();

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Keyword} {Instance} {Renewal} {(long)Duration.TotalMilliseconds}");

        public static bool TryParse(string? value, out Lease lease)
        {
            lease = default;
            var parts = value?.Split(' ');
            if (parts is not { Length: 4 } || !parts[0].StartsWith(KeywordPrefix, StringComparison.Ordinal)
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var renewal)
                || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) || milliseconds <= 0)
            {
                return false;
            }

            lease = new Lease(parts[0], parts[1], renewal, TimeSpan.FromMilliseconds(milliseconds));
            return true;
        }
    }
}
