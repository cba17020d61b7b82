namespace Mailing.Toolkit.AutoResponding;

/// <summary>
/// Remembers which senders got an automatic reply, so that each gets at most one per interval (RFC 3834 section 2).
/// The built-in stores keep it in memory or in a file; register your own (for example on a database table with a
/// unique key) to share it between instances of an application.
/// </summary>
/// <remarks>
/// <see cref="TryRecordAsync"/> must be atomic: when two messages from one sender are handled at the same time,
/// exactly one call returns <see langword="true"/>. Addresses arrive lower-cased.
/// </remarks>
public interface IAutoReplyHistory
{
    /// <summary>
    /// Records a reply from <paramref name="responder"/> to <paramref name="sender"/> at <paramref name="now"/>,
    /// unless an earlier recorded reply between them still blocks: one recorded at <c>T</c> with interval <c>I</c>
    /// blocks until <c>T + I</c>.
    /// </summary>
    /// <param name="responder">Our address the reply is sent from.</param>
    /// <param name="sender">The address the reply goes to.</param>
    /// <param name="now">The time of the reply.</param>
    /// <param name="interval">How long this reply blocks the next one.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when the reply was recorded and may be sent; <see langword="false"/> when one is still blocking.</returns>
    ValueTask<bool> TryRecordAsync(string responder, string sender, DateTimeOffset now, TimeSpan interval, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets the reply recorded at <paramref name="recordedAt"/>, because it could not be sent. A reply recorded
    /// at another time (by a concurrent call) is kept.
    /// </summary>
    /// <param name="responder">Our address the reply was to be sent from.</param>
    /// <param name="sender">The address the reply was to go to.</param>
    /// <param name="recordedAt">The <c>now</c> passed to <see cref="TryRecordAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask RemoveAsync(string responder, string sender, DateTimeOffset recordedAt, CancellationToken cancellationToken = default);
}
