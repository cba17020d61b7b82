using System.Runtime.ExceptionServices;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Group commit (of acknowledgements, of position writes). Each caller queues its item and waits; one caller at a time
/// is the flusher and applies everything queued so far (up to a limit) in one go, so items that arrive while one set
/// is being applied travel together in the next set. A lone caller is flushed at once: no timer, no added delay.
/// </summary>
/// <remarks>
/// <para>
/// The flusher applies sets until its own item is done, then hands the turn to the caller of the oldest item still
/// queued (or, when none is, leaves the flusher's place free). A waiting caller costs one completion source and no
/// lock or continuation of its own: with hundreds of acknowledgements in flight, a semaphore that wakes every waiter
/// in turn cost more than the sets it served.
/// </para>
/// <para>
/// A caller's task completes when its item was applied, or faults with the error its set (or its part of the set,
/// see <see cref="Pending.Fail"/>) failed with. A caller cancelled while it waits is taken out of the queue (and hands
/// the turn on, should it just have been given it); one cancelled while another caller's set holds its item throws,
/// and the item is applied anyway (applying an acknowledgement twice changes nothing). A flusher cancelled while its
/// set is being applied gives the rest of that set back to the front of the queue for the next flusher.
/// </para>
/// </remarks>
internal sealed class GroupCommit<T>
{
    private readonly Func<IReadOnlyList<Pending>, CancellationToken, Task> apply;
    private readonly int maxBatch;
    private readonly List<Pending> queue = [];
    private bool flushing; // a caller holds the flusher's turn; guarded by queue

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
        bool myTurn;
        lock (queue)
        {
            queue.Add(mine);
            myTurn = !flushing;
            flushing = true;
        }

        if (!myTurn)
        {
            try
            {
                // True when this caller is handed the turn; false when another caller's set applied the item.
                myTurn = await mine.Signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (queue)
                {
                    queue.Remove(mine);
                    if (mine.HasTurn)
                        PassTurn();
                }
                throw;
            }
        }

        if (myTurn)
            await FlushUntilDoneAsync(mine, cancellationToken).ConfigureAwait(false);

        mine.ThrowIfFailed();
    }

    private async Task FlushUntilDoneAsync(Pending mine, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                List<Pending> batch;
                lock (queue)
                {
                    if (mine.IsCompleted)
                        return;
                    batch = queue.GetRange(0, Math.Min(maxBatch, queue.Count));
                    queue.RemoveRange(0, batch.Count);
                }

                await ApplyAsync(batch, mine, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (queue)
                PassTurn();
        }
    }

    private async Task ApplyAsync(List<Pending> batch, Pending mine, CancellationToken cancellationToken)
    {
        try
        {
            await apply(batch, cancellationToken).ConfigureAwait(false);
            foreach (var pending in batch)
                pending.Succeed();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Only this caller gave up: the others' items go back to the front of the queue for the next flusher.
            var others = batch.Where(pending => pending != mine && !pending.IsCompleted).ToList();
            lock (queue)
            {
                queue.Remove(mine); // when it was not in this set
                queue.InsertRange(0, others);
            }
            throw;
        }
        catch (Exception ex)
        {
            foreach (var pending in batch)
                pending.Fail(ex);
        }
    }

    /// <summary>Gives the turn to the oldest queued item's caller, or frees it. Called under the queue lock.</summary>
    private void PassTurn()
    {
        if (queue.Count > 0)
            queue[0].GiveTurn();
        else
            flushing = false;
    }

    /// <summary>One queued item and the signal its caller waits for.</summary>
    internal sealed class Pending(T item)
    {
        private readonly TaskCompletionSource<bool> signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Exception? error;
        private volatile bool completed;

        public T Item { get; } = item;

        public bool IsCompleted => completed;

        /// <summary>Fails this item alone (for example the part of a set whose target folder refused it); the rest of the set goes on.</summary>
        public void Fail(Exception error)
        {
            if (completed)
                return;
            this.error = error;
            Complete();
        }

        internal Task<bool> Signal => signal.Task;

        /// <summary>Whether this item's caller was handed the flusher's turn (set under the queue lock).</summary>
        internal bool HasTurn { get; private set; }

        internal void Succeed()
        {
            if (!completed)
                Complete();
        }

        internal void GiveTurn()
        {
            HasTurn = true;
            signal.TrySetResult(true);
        }

        internal void ThrowIfFailed()
        {
            if (error is not null)
                ExceptionDispatchInfo.Throw(error);
        }

        private void Complete()
        {
            completed = true;
            signal.TrySetResult(false);
        }
    }
}
