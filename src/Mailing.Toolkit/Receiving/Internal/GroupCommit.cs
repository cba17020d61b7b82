namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Group commit (of acknowledgements, of position writes). Each caller queues its item and waits; whichever caller
/// holds the flush lock applies everything queued so far (up to a limit) in one go, so items that arrive while one set
/// is being applied travel together in the next set. A lone caller is flushed at once: no timer, no added delay.
/// </summary>
/// <remarks>
/// A caller's task completes when its item was applied, or faults with the error its set (or its part of the set,
/// see <see cref="Pending.Fail"/>) failed with. A caller cancelled while it waits is taken out of the queue; one
/// cancelled while its own set is being applied gives the rest of that set back to the queue for the next flush.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim holds no unmanaged resource unless its AvailableWaitHandle is used, which this one's never is; disposing it under a waiting caller would only fail that caller.")]
internal sealed class GroupCommit<T>
{
    private readonly Func<IReadOnlyList<Pending>, CancellationToken, Task> apply;
    private readonly int maxBatch;
    private readonly List<Pending> queue = [];
    private readonly SemaphoreSlim flushLock = new(1, 1);

    /// <param name="apply">Applies one set; entries it neither completes nor fails count as applied when it returns.</param>
    /// <param name="maxBatch">The most items applied together.</param>
    public GroupCommit(Func<IReadOnlyList<Pending>, CancellationToken, Task> apply, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        this.apply = apply;
        this.maxBatch = maxBatch;
    }

    /// <summary>Queues <paramref name="item"/> and returns once it was applied.</summary>
    public async Task SubmitAsync(T item, CancellationToken cancellationToken)
    {
        var mine = new Pending(item);
        lock (queue)
            queue.Add(mine);

        while (!mine.IsCompleted)
        {
            // Waiting for the lock also ends when another caller's set completes this item.
            var locked = flushLock.WaitAsync(cancellationToken);
            try
            {
                await Task.WhenAny(locked, mine.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Abandon(mine, locked);
                throw;
            }

            if (!locked.IsCompletedSuccessfully)
            {
                // Done by someone else's set: the lock, should it come, is not ours to hold.
                ReleaseWhenAcquired(locked);
                break;
            }

            try
            {
                if (!mine.IsCompleted)
                    await FlushAsync(mine, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                flushLock.Release();
            }
        }

        await mine.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// The caller gave up: its item leaves the queue when it is still there; when another caller's set holds it, it
    /// is applied anyway (harmless: applying an acknowledgement twice changes nothing) and its outcome is observed.
    /// </summary>
    private void Abandon(Pending mine, Task locked)
    {
        lock (queue)
            queue.Remove(mine);
        mine.Observe();
        ReleaseWhenAcquired(locked);
    }

    private void ReleaseWhenAcquired(Task locked) =>
        locked.ContinueWith(static (t, state) => ((SemaphoreSlim)state!).Release(), flushLock, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);


    private async Task FlushAsync(Pending mine, CancellationToken cancellationToken)
    {
        List<Pending> batch;
        lock (queue)
        {
            batch = queue.GetRange(0, Math.Min(maxBatch, queue.Count));
            queue.RemoveRange(0, batch.Count);
        }

        try
        {
            await apply(batch, cancellationToken).ConfigureAwait(false);
            foreach (var pending in batch)
                pending.Succeed();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Only this caller gave up: the others' items go back to the front of the queue, and the next caller
            // through the lock applies them (applying an acknowledgement twice is harmless).
            var others = batch.Where(pending => pending != mine && !pending.IsCompleted).ToList();
            lock (queue)
            {
                queue.Remove(mine); // when more than one set was queued ahead of it
                queue.InsertRange(0, others);
            }

            mine.Cancel(cancellationToken);
            mine.Observe();
            throw;
        }
        catch (Exception ex)
        {
            foreach (var pending in batch)
                pending.Fail(ex);
        }
    }

    /// <summary>One queued item and the completion its caller waits for.</summary>
    internal sealed class Pending(T item)
    {
        private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public T Item { get; } = item;

        public bool IsCompleted => completion.Task.IsCompleted;

        internal Task Task => completion.Task;

        /// <summary>Fails this item alone (for example the part of a set whose target folder refused it); the rest of the set goes on.</summary>
        public void Fail(Exception error) => completion.TrySetException(error);

        internal void Succeed() => completion.TrySetResult();

        internal void Cancel(CancellationToken cancellationToken) => completion.TrySetCanceled(cancellationToken);

        /// <summary>Marks a failure nobody will await as seen, so it is not reported as an unobserved task exception.</summary>
        internal void Observe() =>
            completion.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
