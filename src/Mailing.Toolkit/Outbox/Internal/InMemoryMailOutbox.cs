using System.Data.Common;
using MimeKit;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>The outbox without a database: scheduled sends and retries within one process, lost when it stops.</summary>
internal sealed class InMemoryMailOutbox(TimeProvider time, string? defaultFrom, int maxMessageBytes) : IMailOutboxStore
{
    private readonly Lock gate = new();
    private readonly SortedDictionary<long, Row> rows = [];
    private readonly Dictionary<string, long> idempotencyKeys = new(StringComparer.Ordinal);
    private long nextId;

    public Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new OutboxEnqueueOptions();
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate)
        {
            if (options.IdempotencyKey is { } key && idempotencyKeys.TryGetValue(key, out var existing))
                return Task.FromResult(new OutboxEnqueueResult(existing, rows[existing].Entry.MessageId, false));
        }

        var entry = OutboxEntry.Create(message, options, defaultFrom, maxMessageBytes);
        var now = time.GetUtcNow();
        lock (gate)
        {
            // Checked again: a concurrent enqueue with the same key may have won while the message was serialized.
            if (options.IdempotencyKey is { } key && idempotencyKeys.TryGetValue(key, out var existing))
                return Task.FromResult(new OutboxEnqueueResult(existing, rows[existing].Entry.MessageId, false));
            var id = ++nextId;
            rows[id] = new Row(entry, options, now, options.NotBefore is { } notBefore && notBefore > now ? notBefore : now);
            if (options.IdempotencyKey is { } newKey)
                idempotencyKeys[newKey] = id;
            return Task.FromResult(new OutboxEnqueueResult(id, entry.MessageId, true));
        }
    }

    public Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, DbTransaction transaction, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The in-memory outbox has no database to share a transaction with: back the outbox with UseSqlite(...) or UsePostgreSql(...).");

    public Task<OutboxMessage?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (gate)
            return Task.FromResult(rows.TryGetValue(id, out var row) ? row.ToMessage(id) : null);
    }

    public Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new OutboxQuery();
        var limit = OutboxQueries.CheckLimit(query);
        lock (gate)
        {
            IReadOnlyList<OutboxMessage> page = rows.Reverse()
                .Where(r => (query.BeforeId is not { } before || r.Key < before) && (query.State is not { } state || r.Value.State == state))
                .Take(limit)
                .Select(r => r.Value.ToMessage(r.Key))
                .ToArray();
            return Task.FromResult(page);
        }
    }

    public Task<bool> CancelAsync(long id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Transition(id, r => r.State is OutboxState.Queued or OutboxState.Failed or OutboxState.MaybeDelivered, r =>
        {
            r.State = OutboxState.Cancelled;
            r.FinishedAt = time.GetUtcNow();
        }));

    public Task<bool> RequeueAsync(long id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Transition(id, r => r.State is OutboxState.Failed or OutboxState.MaybeDelivered or OutboxState.Cancelled, r =>
        {
            r.State = OutboxState.Queued;
            r.DueAt = time.GetUtcNow();
            r.Attempts = 0;
            r.FinishedAt = null;
        }));

    public Task<int> PurgeAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            var purged = rows.Where(r => r.Value.State is OutboxState.Sent or OutboxState.Cancelled && r.Value.FinishedAt < finishedBefore).Select(r => r.Key).ToArray();
            foreach (var id in purged)
            {
                if (rows.Remove(id, out var row) && row.Options.IdempotencyKey is { } key)
                    idempotencyKeys.Remove(key);
            }

            return Task.FromResult(purged.Length);
        }
    }

    public Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var pending = rows.Values.Where(r => r.State is OutboxState.Queued or OutboxState.Sending).ToArray();
            var due = pending.Where(r => r.DueAt <= now).ToArray();
            return Task.FromResult(new OutboxStatistics
            {
                Pending = pending.Length,
                Due = due.Length,
                OldestDueAt = due.Length == 0 ? null : due.Min(r => r.DueAt),
                Failed = rows.Values.Count(r => r.State == OutboxState.Failed),
                MaybeDelivered = rows.Values.Count(r => r.State == OutboxState.MaybeDelivered),
            });
        }
    }

    public Task<IReadOnlyList<OutboxLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var token = Guid.NewGuid();
        lock (gate)
        {
            IReadOnlyList<OutboxLease> leased = rows
                .Where(r => r.Value.State is OutboxState.Queued or OutboxState.Sending && r.Value.DueAt <= now)
                .OrderByDescending(r => r.Value.Options.Priority).ThenBy(r => r.Value.DueAt).ThenBy(r => r.Key)
                .Take(maxCount)
                .Select(r =>
                {
                    var row = r.Value;
                    row.State = OutboxState.Sending;
                    row.DueAt = now + leaseDuration;
                    row.Attempts++;
                    row.LeaseToken = token;
                    return new OutboxLease(r.Key, token, row.Attempts, row.Entry.MessageId, row.Options.SenderKey, row.Entry.Content, row.Entry.Envelope);
                })
                .ToArray();
            return Task.FromResult(leased);
        }
    }

    public Task<bool> CompleteAsync(OutboxLease lease, OutboxCompletion completion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(completion);
        var now = time.GetUtcNow();
        return Task.FromResult(Transition(lease.Id, r => r.State == OutboxState.Sending && r.LeaseToken == lease.Token, r =>
        {
            r.State = completion.State;
            r.LeaseToken = null;
            r.LastError = completion.Error ?? r.LastError;
            r.Response = completion.Response ?? r.Response;
            if (completion.State == OutboxState.Queued)
                r.DueAt = completion.RetryAt ?? now;
            else
                r.FinishedAt = now;
        }));
    }

    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var recorded = new bool[outcomes.Count];
        for (var i = 0; i < outcomes.Count; i++)
            recorded[i] = await CompleteAsync(outcomes[i].Lease, outcomes[i].Completion, cancellationToken).ConfigureAwait(false);
        return recorded;
    }

    public override string ToString() => "in-memory outbox";

    private bool Transition(long id, Func<Row, bool> allowed, Action<Row> change)
    {
        lock (gate)
        {
            if (!rows.TryGetValue(id, out var row) || !allowed(row))
                return false;
            change(row);
            return true;
        }
    }

    private sealed class Row(OutboxEntry entry, OutboxEnqueueOptions options, DateTimeOffset createdAt, DateTimeOffset dueAt)
    {
        public OutboxEntry Entry { get; } = entry;

        public OutboxEnqueueOptions Options { get; } = options;

        public OutboxState State { get; set; }

        public DateTimeOffset DueAt { get; set; } = dueAt;

        public int Attempts { get; set; }

        public Guid? LeaseToken { get; set; }

        public DateTimeOffset? FinishedAt { get; set; }

        public string? LastError { get; set; }

        public string? Response { get; set; }

        public OutboxMessage ToMessage(long id) => new()
        {
            Id = id,
            MessageId = Entry.MessageId,
            State = State,
            Subject = Entry.Subject,
            Recipients = Entry.Recipients,
            SenderKey = Options.SenderKey,
            Priority = Options.Priority,
            IdempotencyKey = Options.IdempotencyKey,
            Size = Entry.Content.Length,
            CreatedAt = createdAt,
            DueAt = DueAt,
            Attempts = Attempts,
            FinishedAt = FinishedAt,
            LastError = LastError,
            Response = Response,
        };
    }
}
