namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Tells a consumer of an <see cref="IMailReceiver"/> when the next pass is worth running: the IMAP receiver
/// implements it with IDLE where the server has it and with polling otherwise. Resolve it next to the receiver and
/// await it between passes instead of sleeping a fixed interval.
/// </summary>
public interface IMailArrivalNotifier
{
    /// <summary>
    /// Returns when new mail may have arrived, or when <paramref name="timeout"/> has passed, whichever comes first.
    /// A return is a hint, not a promise: the next pass may find nothing (after a dropped connection, for example),
    /// and mail that arrived while nobody was waiting is reported at once.
    /// </summary>
    /// <param name="timeout">The longest wait; <see cref="Timeout.InfiniteTimeSpan"/> for no limit, zero or less returns at once.</param>
    /// <param name="cancellationToken">Ends the wait with an <see cref="OperationCanceledException"/>.</param>
    Task WaitForArrivalAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
