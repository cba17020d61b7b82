namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>One remembered reply: when it was sent and until when it blocks the next one.</summary>
internal readonly record struct HistoryEntry(DateTimeOffset At, DateTimeOffset Until);

/// <summary>
/// The replies sent, keyed by responder and sender, with the check-and-record step under one lock.
/// Shared by the in-memory and the file-backed history.
/// </summary>
internal sealed class HistoryTable
{
    private const int PruneEvery = 256;

    private readonly Dictionary<(string Responder, string Sender), HistoryEntry> entries = [];
    private int writes;

    public int Count => entries.Count;

    public IEnumerable<KeyValuePair<(string Responder, string Sender), HistoryEntry>> Entries => entries;

    /// <summary>Records the reply unless one still blocks; the caller holds the lock.</summary>
    public bool TryRecord(string responder, string sender, DateTimeOffset now, TimeSpan interval)
    {
        var key = (responder, sender);
        if (entries.TryGetValue(key, out var entry) && now < entry.Until)
            return false;
        entries[key] = new HistoryEntry(now, now + interval);
        if (++writes % PruneEvery == 0)
            Prune(now);
        return true;
    }

    public bool Remove(string responder, string sender, DateTimeOffset recordedAt)
    {
        var key = (responder, sender);
        return entries.TryGetValue(key, out var entry) && entry.At == recordedAt && entries.Remove(key);
    }

    public void Set(string responder, string sender, HistoryEntry entry) => entries[(responder, sender)] = entry;

    /// <summary>Drops the entries that no longer block anything.</summary>
    public void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in entries)
        {
            if (entry.Until <= now)
                entries.Remove(key);
        }
    }
}

/// <summary>The default <see cref="IAutoReplyHistory"/>: in memory, forgotten at restart.</summary>
internal sealed class InMemoryAutoReplyHistory : IAutoReplyHistory
{
    private readonly HistoryTable table = new();

    public ValueTask<bool> TryRecordAsync(string responder, string sender, DateTimeOffset now, TimeSpan interval, CancellationToken cancellationToken = default)
    {
        lock (table)
            return ValueTask.FromResult(table.TryRecord(responder, sender, now, interval));
    }

    public ValueTask RemoveAsync(string responder, string sender, DateTimeOffset recordedAt, CancellationToken cancellationToken = default)
    {
        lock (table)
            table.Remove(responder, sender, recordedAt);
        return ValueTask.CompletedTask;
    }
}
