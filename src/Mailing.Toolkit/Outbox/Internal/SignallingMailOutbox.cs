using System.Data.Common;
using MimeKit;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// The <see cref="IMailOutbox"/> users resolve: the store, plus a wake-up of this process's dispatcher after each
/// enqueue committed here. A transactional enqueue is not signalled (its commit is the caller's); the poll finds it.
/// </summary>
internal sealed class SignallingMailOutbox(IMailOutboxStore store, OutboxSignal signal) : IMailOutbox
{
    public async Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await store.EnqueueAsync(message, options, cancellationToken).ConfigureAwait(false);
        if (result.Created)
            signal.Notify();
        return result;
    }

    public Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, DbTransaction transaction, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        store.EnqueueAsync(message, transaction, options, cancellationToken);

    public Task<OutboxMessage?> GetAsync(long id, CancellationToken cancellationToken = default) => store.GetAsync(id, cancellationToken);

    public Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxQuery? query = null, CancellationToken cancellationToken = default) => store.ListAsync(query, cancellationToken);

    public Task<bool> CancelAsync(long id, CancellationToken cancellationToken = default) => store.CancelAsync(id, cancellationToken);

    public async Task<bool> RequeueAsync(long id, CancellationToken cancellationToken = default)
    {
        var requeued = await store.RequeueAsync(id, cancellationToken).ConfigureAwait(false);
        if (requeued)
            signal.Notify();
        return requeued;
    }

    public Task<int> PurgeAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default) => store.PurgeAsync(finishedBefore, cancellationToken);

    public Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default) => store.GetStatisticsAsync(cancellationToken);

    public override string ToString() => store.ToString() ?? store.GetType().Name;
}
