namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>
/// A wake-up call that is remembered until it is waited for: the dispatcher waits on one for new mail enqueued in
/// this process, its leasing loop on another for room in its queue. Signalling an already signalled one costs nothing.
/// </summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim signal = new(0, 1);
    private int signalled;

    public void Notify()
    {
        if (Interlocked.Exchange(ref signalled, 1) == 0)
            signal.Release();
    }

    /// <summary>Waits for <see cref="Notify"/> or for <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            await signal.WaitAsync(linked.Token).ConfigureAwait(false);
            Volatile.Write(ref signalled, 0);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout passed.
        }
    }

    public void Dispose() => signal.Dispose();
}
