namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>Positions kept in memory only: the default where losing them on restart costs nothing.</summary>
internal sealed class InMemoryMailboxStateStore : IMailboxStateStore
{
    private readonly Dictionary<string, MailboxState> states = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public ValueTask<MailboxState?> GetAsync(string mailboxKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxKey);
        lock (gate)
            return ValueTask.FromResult(states.GetValueOrDefault(mailboxKey));
    }

    public ValueTask<MailboxState> UpdateAsync(string mailboxKey, Func<MailboxState?, MailboxState> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxKey);
        ArgumentNullException.ThrowIfNull(update);
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate)
        {
            var next = update(states.GetValueOrDefault(mailboxKey)) ?? throw new InvalidOperationException("The state update returned null.");
            states[mailboxKey] = next;
            return ValueTask.FromResult(next);
        }
    }
}
