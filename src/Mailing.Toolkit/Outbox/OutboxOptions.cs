namespace Mailing.Toolkit.Outbox;

/// <summary>The outbox and its dispatcher, bound from <c>Mailing:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    /// <summary>Whether this process runs the dispatcher; false for processes that only enqueue (a web front end). Default true.</summary>
    public bool Background { get; set; } = true;

    /// <summary>How many messages one process sends at once. Default 4.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>
    /// How long a leased row stays with its dispatcher before another may take it over. Must exceed the longest send
    /// (the sender's timeouts times its retries) plus the row's wait in the dispatcher's queue (up to eight rows per
    /// worker ahead of it): a lease that expires mid-send gets the message sent twice. Default 5 minutes.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle dispatcher looks for due rows queued by other processes (its own enqueues wake it at once). Default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many attempts a message gets before a transient failure sends it to the dead-letter state. Default 10.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The wait after the first transient failure; doubled after each one, with jitter. Default 30 seconds.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two attempts. Default 1 hour.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The largest message, serialized, that may be enqueued; a larger one is refused at enqueue. Default 25 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>How long sent and cancelled rows are kept before the dispatcher purges them; null keeps them. Default 7 days.</summary>
    public TimeSpan? Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The health check reports Degraded when the oldest due message has waited longer than this. Default 15 minutes.</summary>
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromMinutes(15);
}
