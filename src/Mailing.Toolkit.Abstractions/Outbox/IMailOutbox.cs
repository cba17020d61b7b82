using System.Data.Common;
using MimeKit;

namespace Mailing.Toolkit.Outbox;

/// <summary>
/// A durable queue of outgoing mail: a message enqueued here is sent by the outbox dispatcher (a hosted
/// service) through the configured <see cref="IMailSender"/>, retried while the failure is transient, and kept
/// with its outcome. Register it with <c>AddOutbox()</c> and back it with <c>UseSqlite(...)</c> or
/// <c>UsePostgreSql(...)</c>; without a database it lives in memory and is lost with the process.
/// </summary>
/// <remarks>
/// Delivery is at least once: a dispatcher that dies after the server accepted a message but before the
/// outcome was recorded leaves the row to be sent again when its lease expires. A send that failed after the
/// end of the data (<see cref="MailDeliveryException.MaybeDelivered"/>) is never sent again automatically; it
/// waits in <see cref="OutboxState.MaybeDelivered"/> for <see cref="RequeueAsync"/>.
/// </remarks>
public interface IMailOutbox
{
    /// <summary>Queues <paramref name="message"/> in a transaction of its own.</summary>
    /// <param name="message">The message; a Message-ID is assigned when it has none. It is serialized at once and not kept.</param>
    /// <param name="options">When, how urgently and through which sender to send it, and its idempotency key.</param>
    /// <param name="cancellationToken">Cancels the operation; nothing is queued when it is cancelled.</param>
    /// <returns>The row's id and whether it was created (false when the idempotency key was already queued).</returns>
    /// <exception cref="ArgumentException">The message has no From or no recipient, an option is invalid, or the message is larger than the configured limit.</exception>
    Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues <paramref name="message"/> inside the caller's <paramref name="transaction"/>, so it is sent only if
    /// that transaction commits (the transactional outbox pattern). The connection must belong to this outbox's engine
    /// and database; the outbox neither commits nor disposes it.
    /// </summary>
    /// <param name="message">The message; a Message-ID is assigned when it has none.</param>
    /// <param name="transaction">The open transaction of the business change that causes the mail (with EF Core: <c>context.Database.CurrentTransaction.GetDbTransaction()</c>).</param>
    /// <param name="options">When, how urgently and through which sender to send it, and its idempotency key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <exception cref="NotSupportedException">The outbox has no database (the in-memory outbox), or the connection is of another engine.</exception>
    Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, DbTransaction transaction, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Returns the row with this id, or null when there is none (or it was purged).</summary>
    Task<OutboxMessage?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Lists rows, newest first, filtered and paged by <paramref name="query"/>.</summary>
    Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels a queued message, or closes a <see cref="OutboxState.Failed"/> or <see cref="OutboxState.MaybeDelivered"/> one
    /// without sending it again (for a maybe-delivered message: it did arrive). Cancelled rows are purged like sent ones.
    /// Returns false for a row being sent, sent, already cancelled, or not there.
    /// </summary>
    Task<bool> CancelAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a <see cref="OutboxState.Failed"/>, <see cref="OutboxState.MaybeDelivered"/> or <see cref="OutboxState.Cancelled"/>
    /// message again, due now, with its attempt count reset. Returns false for a row in any other state.
    /// </summary>
    Task<bool> RequeueAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Deletes sent and cancelled rows that finished before <paramref name="finishedBefore"/>; returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default);

    /// <summary>Counts the rows by state and finds the oldest message that is due, for metrics and health checks.</summary>
    Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The storage side of the outbox that the dispatcher uses: lease due rows, record each outcome. Implemented by the
/// SQLite, PostgreSQL and in-memory outboxes; implement it to put the outbox on another database.
/// </summary>
/// <remarks>
/// <see cref="LeaseAsync"/> must hand a row to one caller at a time across every process that shares the store, and
/// hand it out again once its lease has expired without a completion. <c>CompleteAsync</c> must record an
/// outcome only while the caller's lease is still the row's current one.
/// </remarks>
public interface IMailOutboxStore : IMailOutbox
{
    /// <summary>
    /// Takes up to <paramref name="maxCount"/> due rows (queued and due, or leased with an expired lease), highest
    /// priority first, then oldest due, and leases them for <paramref name="leaseDuration"/>.
    /// </summary>
    Task<IReadOnlyList<OutboxLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome of one leased row; false when the lease was lost (expired and taken by another worker).</summary>
    Task<bool> CompleteAsync(OutboxLease lease, OutboxCompletion completion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records several outcomes in one go (the dispatcher batches them, one database round trip for many sends). Each
    /// is recorded or refused on its own lease, as by the single-row overload; the answers are in the same order.
    /// </summary>
    Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default);
}
