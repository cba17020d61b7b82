namespace Mailing.Toolkit.Receiving.Internal;

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
        // Known is ascending: start at the first UID above the position instead of walking the whole search result
        // on every acknowledged set (a pass over n messages records about n/set-size sets).
        var start = Array.BinarySearch(known, (uint)Math.Clamp(last, 0, uint.MaxValue));
        start = start < 0 ? ~start : start + 1;
        var i = start;
        while (i < known.Length && handled.Contains(known[i]))
            i++;
        uint? firstPending = i < known.Length ? known[i] : null;

        // Everything known and handled below the first message still to hand (or everything, when none is) is done.
        if (i > start)
            last = known[i - 1];
        foreach (var uid in handled)
        {
            if (uid > last && (firstPending is null || uid < firstPending))
                last = uid;
        }

        var remaining = new List<uint>();
        foreach (var uid in handled)
        {
            if (uid > last)
                remaining.Add(uid);
        }

        remaining.Sort();
        var ids = new string[remaining.Count];
        for (var k = 0; k < ids.Length; k++)
            ids[k] = Format(remaining[k]);
        return state with
        {
            LastUid = last,
            HandledIds = ids,
            UpdatedAt = now,
        };
    }

    private static string Format(uint uid) => uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
