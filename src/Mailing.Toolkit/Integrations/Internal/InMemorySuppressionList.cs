namespace Mailing.Toolkit.Integrations.Internal;

/// <summary>The default <see cref="ISuppressionList"/>: in memory, forgotten at restart.</summary>
internal sealed class InMemorySuppressionList : ISuppressionList
{
    private readonly Lock gate = new();
    private readonly SortedDictionary<(string Address, string Category), SuppressionEntry> entries = new(KeyOrder.Instance);

    public Task<bool> AddAsync(SuppressionEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var key = (SuppressionKeys.Address(entry.Address), SuppressionKeys.Category(entry.Category));
        lock (gate)
        {
            var added = !entries.ContainsKey(key);
            entries[key] = entry with { Address = key.Item1 };
            return Task.FromResult(added);
        }
    }

    public Task<bool> RemoveAsync(string address, string? category = null, CancellationToken cancellationToken = default)
    {
        var key = (SuppressionKeys.Address(address), SuppressionKeys.Category(category));
        lock (gate)
            return Task.FromResult(entries.Remove(key));
    }

    public Task<SuppressionEntry?> FindAsync(string address, string? category = null, CancellationToken cancellationToken = default)
    {
        var normalized = SuppressionKeys.Address(address);
        var specific = SuppressionKeys.Category(category);
        lock (gate)
        {
            return Task.FromResult(entries.TryGetValue((normalized, string.Empty), out var all) ? all
                : entries.TryGetValue((normalized, specific), out var one) ? one : null);
        }
    }

    public Task<IReadOnlyList<SuppressionEntry>> ListAsync(SuppressionQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new SuppressionQuery();
        var limit = SuppressionKeys.Limit(query);
        (string, string)? after = query.AfterAddress is { } address ? (SuppressionKeys.Address(address), SuppressionKeys.Category(query.AfterCategory)) : null;
        lock (gate)
        {
            IReadOnlyList<SuppressionEntry> page = entries
                .Where(e => (after is not { } start || KeyOrder.Instance.Compare(e.Key, start) > 0) && (query.Reason is not { } reason || e.Value.Reason == reason))
                .Take(limit)
                .Select(e => e.Value)
                .ToArray();
            return Task.FromResult(page);
        }
    }

    /// <summary>Ordinal order, as the databases sort the key columns.</summary>
    private sealed class KeyOrder : IComparer<(string Address, string Category)>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare((string Address, string Category) x, (string Address, string Category) y)
        {
            var byAddress = string.CompareOrdinal(x.Address, y.Address);
            return byAddress != 0 ? byAddress : string.CompareOrdinal(x.Category, y.Category);
        }
    }
}
