using Mailing.Toolkit.Receiving.Internal;

namespace Mailing.Toolkit.Tests.Receiving;

public sealed class GroupCommitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ALoneCaller_IsAppliedAtOnceInASetOfOne()
    {
        var recorder = new Recorder();
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 10);

        await batcher.SubmitAsync(1, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal([[1]], recorder.Sets);
    }

    [Fact]
    public async Task CallersArrivingWhileASetIsApplied_TravelTogetherInTheNextSet()
    {
        var recorder = new Recorder { Block = true };
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 10);

        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await recorder.Entered.WaitAsync(1, Wait);
        var rest = Enumerable.Range(2, 5).Select(i => batcher.SubmitAsync(i, CancellationToken.None)).ToArray();
        recorder.Block = false;
        recorder.Unblock();
        await Task.WhenAll(rest.Append(first)).WaitAsync(Wait);

        Assert.Equal([[1], [2, 3, 4, 5, 6]], recorder.Sets);
    }

    [Fact]
    public async Task ASetNeverExceedsMaxBatch()
    {
        var recorder = new Recorder { Block = true };
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 2);

        var first = batcher.SubmitAsync(0, CancellationToken.None);
        await recorder.Entered.WaitAsync(1, Wait);
        var rest = Enumerable.Range(1, 5).Select(i => batcher.SubmitAsync(i, CancellationToken.None)).ToArray();
        recorder.Block = false;
        recorder.Unblock();
        await Task.WhenAll(rest.Append(first)).WaitAsync(Wait);

        Assert.Equal([[0], [1, 2], [3, 4], [5]], recorder.Sets);
    }

    [Fact]
    public async Task ASetThatFails_FailsEveryCallerInItWithTheError()
    {
        var error = new IOException("connection lost");
        var recorder = new Recorder { Block = true, Error = error };
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 10);

        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await recorder.Entered.WaitAsync(1, Wait);
        var second = batcher.SubmitAsync(2, CancellationToken.None);
        var third = batcher.SubmitAsync(3, CancellationToken.None);
        recorder.Block = false;
        recorder.Unblock();

        Assert.Same(error, await Assert.ThrowsAsync<IOException>(() => first.WaitAsync(Wait)));
        Assert.Same(error, await Assert.ThrowsAsync<IOException>(() => second.WaitAsync(Wait)));
        Assert.Same(error, await Assert.ThrowsAsync<IOException>(() => third.WaitAsync(Wait)));
    }

    [Fact]
    public async Task AnItemFailedAlone_FailsOnlyItsCaller()
    {
        var batcher = new GroupCommit<int>(
            (set, _) =>
            {
                foreach (var pending in set.Where(p => p.Item % 2 == 0))
                    pending.Fail(new InvalidOperationException($"refused {pending.Item}"));
                return Task.CompletedTask;
            },
            maxBatch: 10);

        await batcher.SubmitAsync(1, CancellationToken.None).WaitAsync(Wait);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.SubmitAsync(2, CancellationToken.None).WaitAsync(Wait));
        Assert.Equal("refused 2", refused.Message);
    }

    [Fact]
    public async Task ACallerCancelledWhileWaiting_IsTakenOutOfTheQueueAndNeverApplied()
    {
        var recorder = new Recorder { Block = true };
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 10);
        using var cancel = new CancellationTokenSource();

        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await recorder.Entered.WaitAsync(1, Wait);
        var cancelled = batcher.SubmitAsync(2, cancel.Token);
        var kept = batcher.SubmitAsync(3, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait));
        recorder.Block = false;
        recorder.Unblock();
        await Task.WhenAll(first, kept).WaitAsync(Wait);

        Assert.Equal([[1], [3]], recorder.Sets);
    }

    [Fact]
    public async Task AFlusherCancelledMidSet_GivesTheOthersBackAndTheNextFlushAppliesThem()
    {
        var recorder = new Recorder { Block = true };
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 10);
        using var cancel = new CancellationTokenSource();

        // 1 is applied (blocked); 2 (cancellable) and 3 queue behind it; 2 gets the lock first and flushes [2, 3].
        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await recorder.Entered.WaitAsync(1, Wait);
        var flusher = batcher.SubmitAsync(2, cancel.Token);
        await Task.Delay(50);
        var other = batcher.SubmitAsync(3, CancellationToken.None);
        recorder.Unblock();
        await recorder.Entered.WaitAsync(2, Wait);
        recorder.Block = false;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flusher.WaitAsync(Wait));
        await Task.WhenAll(first, other).WaitAsync(Wait);

        Assert.Equal([[1], [2, 3], [3]], recorder.Sets);
    }

    [Fact]
    public async Task ACallerCancelledWhileAnotherSetHoldsItsItem_ThrowsButTheItemIsAppliedAndTheLockStaysUsable()
    {
        var recorder = new Recorder { Block = true };
        var batcher = new GroupCommit<int>(recorder.ApplyAsync, maxBatch: 10);
        using var cancel = new CancellationTokenSource();

        // 1 is applied alone (blocked); 2 (cancellable) and 3 queue; 3's caller flushes [2, 3] (blocked too).
        var first = batcher.SubmitAsync(1, CancellationToken.None);
        await recorder.Entered.WaitAsync(1, Wait);
        var third = batcher.SubmitAsync(3, CancellationToken.None);
        var second = batcher.SubmitAsync(2, cancel.Token);
        recorder.Unblock();
        await recorder.Entered.WaitAsync(2, Wait);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(Wait));
        recorder.Block = false;
        recorder.Unblock();
        await Task.WhenAll(first, third).WaitAsync(Wait);
        await batcher.SubmitAsync(4, CancellationToken.None).WaitAsync(Wait);

        Assert.Equal([[1], [3, 2], [4]], recorder.Sets);
    }

    /// <summary>Records each set; while <see cref="Block"/> is on, a set waits for <see cref="Unblock"/> (or its caller's cancellation).</summary>
    private sealed class Recorder
    {
        private readonly object sync = new();
        private TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<int[]> Sets { get; } = [];

        public Counter Entered { get; } = new();

        public volatile bool Block;

        public Exception? Error { get; init; }

        public void Unblock()
        {
            lock (sync)
            {
                gate.TrySetResult();
                gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public async Task ApplyAsync(IReadOnlyList<GroupCommit<int>.Pending> set, CancellationToken cancellationToken)
        {
            Task wait;
            lock (sync)
            {
                Sets.Add(set.Select(p => p.Item).ToArray());
                wait = Block ? gate.Task : Task.CompletedTask;
            }

            Entered.Increment();
            await wait.WaitAsync(cancellationToken);
            if (Error is not null)
                throw Error;
        }
    }

    private sealed class Counter
    {
        private int count;
        private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Increment()
        {
            lock (this)
            {
                count++;
                changed.TrySetResult();
                changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public async Task WaitAsync(int atLeast, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (true)
            {
                Task next;
                lock (this)
                {
                    if (count >= atLeast)
                        return;
                    next = changed.Task;
                }

                await next.WaitAsync(deadline.Token);
            }
        }
    }
}
