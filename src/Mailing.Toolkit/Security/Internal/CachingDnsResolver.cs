namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Caches the answers of another resolver for their TTL, negative answers for the zone's negative TTL (both capped
/// by <see cref="DnsResolverOptions"/>), never temporary failures. Bounded: at <see cref="DnsResolverOptions.CacheSize"/>
/// entries the expired ones go, then the tenth closest to expiring.
/// </summary>
internal sealed class CachingDnsResolver : IDnsResolver
{
    private readonly IDnsResolver inner;
    private readonly TimeProvider time;
    private readonly int capacity;
    private readonly TimeSpan maximumTtl;
    private readonly TimeSpan maximumNegativeTtl;
    private readonly Dictionary<(string, DnsRecordType), Entry> entries = [];
    private readonly Lock gate = new();

    public CachingDnsResolver(IDnsResolver inner, DnsResolverOptions options, TimeProvider time)
    {
        this.inner = inner;
        this.time = time;
        capacity = options.CacheSize;
        maximumTtl = options.MaximumTimeToLive;
        maximumNegativeTtl = options.MaximumNegativeTimeToLive;
    }

    internal int Count
    {
        get
        {
            lock (gate)
                return entries.Count;
        }
    }

    public async ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = (name.TrimEnd('.').ToLowerInvariant(), type);
        var now = time.GetTimestamp();
        lock (gate)
        {
            if (entries.TryGetValue(key, out var cached))
            {
                if (now < cached.ExpiresAt)
                    return cached.Answer;
                entries.Remove(key);
            }
        }

        var answer = await inner.QueryAsync(name, type, cancellationToken).ConfigureAwait(false);
        if (capacity > 0 && answer.Status != DnsQueryStatus.TemporaryFailure)
        {
            var cap = answer.Status == DnsQueryStatus.Success && answer.Records.Count > 0 ? maximumTtl : maximumNegativeTtl;
            var ttl = answer.TimeToLive < cap ? answer.TimeToLive : cap;
            if (ttl > TimeSpan.Zero)
                Store(key, answer, now + (long)(ttl.TotalSeconds * time.TimestampFrequency));
        }

        return answer;
    }

    private void Store((string, DnsRecordType) key, DnsAnswer answer, long expiresAt)
    {
        lock (gate)
        {
            if (entries.Count >= capacity && !entries.ContainsKey(key))
                MakeRoom();
            entries[key] = new Entry(answer, expiresAt);
        }
    }

    private void MakeRoom()
    {
        var now = time.GetTimestamp();
        foreach (var (key, entry) in entries)
        {
            if (entry.ExpiresAt <= now)
                entries.Remove(key);
        }

        // Still full: drop a tenth of the entries, those closest to expiring (worth the least), so a cache kept full by
        // mail from ever new domains scans once per tenth of its size rather than on every answer.
        if (entries.Count >= capacity)
        {
            foreach (var key in entries.OrderBy(e => e.Value.ExpiresAt).Take(capacity / 10 + 1).Select(e => e.Key).ToArray())
                entries.Remove(key);
        }
    }

    private readonly record struct Entry(DnsAnswer Answer, long ExpiresAt);
}
