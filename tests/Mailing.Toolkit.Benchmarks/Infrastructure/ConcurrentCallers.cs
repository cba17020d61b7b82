namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// The load every variant gets: <see cref="Callers"/> concurrent callers, each sending its share of the
/// messages one after the other. Caller <c>i</c> always sends <see cref="Messages"/>[i], so no two sends
/// touch the same <see cref="MimeKit.MimeMessage"/> at once and building messages stays out of the measurement.
/// </summary>
internal sealed class ConcurrentCallers
{
    public ConcurrentCallers(int callers, int totalMessages)
    {
        if (totalMessages % callers != 0)
            throw new ArgumentException("The messages must split evenly between the callers.", nameof(totalMessages));
        Callers = callers;
        MessagesPerCaller = totalMessages / callers;
        Messages = Enumerable.Range(0, callers).Select(BenchMessages.Create).ToArray();
    }

    public int Callers { get; }

    public int MessagesPerCaller { get; }

    public MimeKit.MimeMessage[] Messages { get; }

    /// <summary>Runs every caller on the thread pool; <paramref name="sendOne"/> gets the caller's index.</summary>
    public Task RunAsync(Func<int, Task> sendOne)
    {
        var callers = new Task[Callers];
        for (var caller = 0; caller < Callers; caller++)
        {
            var index = caller;
            callers[caller] = Task.Run(async () =>
            {
                for (var i = 0; i < MessagesPerCaller; i++)
                    await sendOne(index).ConfigureAwait(false);
            });
        }

        return Task.WhenAll(callers);
    }
}
