namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>The default <see cref="IInboundDeduplicationStore"/>: one process, forgotten at restart.</summary>
internal sealed class InMemoryInboundDeduplicationStore : IInboundDeduplicationStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Mailbox, string Key), (bool Handled, DateTimeOffset Until)> keys = [];

    public ValueTask<DeduplicationResult> TryBeginAsync(string mailbox, string key, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            if (keys.TryGetValue((mailbox, key), out var entry))
            {
                if (entry.Handled)
                    return ValueTask.FromResult(DeduplicationResult.AlreadyHandled);
                if (entry.Until > now)
                    return ValueTask.FromResult(DeduplicationResult.InProgress);
            }

            keys[(mailbox, key)] = (false, now + lease);
            return ValueTask.FromResult(DeduplicationResult.Begun);
        }
    }

    public ValueTask CompleteAsync(string mailbox, string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
            keys[(mailbox, key)] = (true, now);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(string mailbox, string key, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            if (keys.TryGetValue((mailbox, key), out var entry) && !entry.Handled)
                keys.Remove((mailbox, key));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> PurgeAsync(DateTimeOffset handledBefore, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            var old = keys.Where(k => k.Value.Handled && k.Value.Until < handledBefore).Select(k => k.Key).ToArray();
            foreach (var key in old)
                keys.Remove(key);
            return ValueTask.FromResult(old.Length);
        }
    }
}
