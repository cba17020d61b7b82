namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>What the health check reports about one mailbox; written by its worker, read by the check.</summary>
internal sealed class InboundMailboxStatus(string mailbox, DateTimeOffset created)
{
    private readonly Lock gate = new();
    private DateTimeOffset? lastSuccess;
    private string? lastError;

    public string Mailbox { get; } = mailbox;

    public DateTimeOffset Created { get; } = created;

    /// <summary>Whether the last pass reached the mailbox; null before the first pass ended.</summary>
    public bool? IsUp
    {
        get
        {
            lock (gate)
                return lastError is not null ? false : lastSuccess is not null ? true : null;
        }
    }

    public (DateTimeOffset? LastSuccess, string? LastError) Snapshot()
    {
        lock (gate)
            return (lastSuccess, lastError);
    }

    public void PassSucceeded(DateTimeOffset at)
    {
        lock (gate)
        {
            lastSuccess = at;
            lastError = null;
        }
    }

    public void PassFailed(string errorType)
    {
        lock (gate)
            lastError = errorType;
    }
}
