namespace Mailing.Toolkit.Integrations;

/// <summary>
/// Addresses that must not be mailed (hard bounces, complaints, unsubscribes, manual blocks), each with the reason
/// and the time it was added. An entry without a category blocks every category of mail; an entry with one blocks
/// only that category (a newsletter unsubscribe need not block a password reset). Addresses are compared
/// case-insensitively. The built-in list lives in memory; <c>UseSqlite</c>/<c>UsePostgreSql</c> share it
/// between instances.
/// </summary>
public interface ISuppressionList
{
    /// <summary>
    /// Adds <paramref name="entry"/>, or replaces the entry for the same address and category (the newest reason wins).
    /// Returns true when the address and category were not on the list before.
    /// </summary>
    Task<bool> AddAsync(SuppressionEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes the entry for <paramref name="address"/> and <paramref name="category"/> (null: the all-categories entry); false when there was none.</summary>
    Task<bool> RemoveAsync(string address, string? category = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the entry that blocks mail of <paramref name="category"/> to <paramref name="address"/>: the
    /// all-categories entry if there is one, else the entry for that category; null when the address may be mailed.
    /// </summary>
    Task<SuppressionEntry?> FindAsync(string address, string? category = null, CancellationToken cancellationToken = default);

    /// <summary>Lists entries ordered by address and category, paged by <paramref name="query"/> (for review and export).</summary>
    Task<IReadOnlyList<SuppressionEntry>> ListAsync(SuppressionQuery? query = null, CancellationToken cancellationToken = default);
}

/// <summary>Why an address is suppressed.</summary>
public enum SuppressionReason
{
    /// <summary>Added by hand or by the application.</summary>
    Manual = 0,

    /// <summary>A permanent delivery failure (unknown user, domain that accepts no mail).</summary>
    HardBounce = 1,

    /// <summary>Repeated temporary failures (full mailbox) past the configured threshold.</summary>
    SoftBounce = 2,

    /// <summary>The recipient reported the mail as spam (an ARF feedback report).</summary>
    Complaint = 3,

    /// <summary>The recipient unsubscribed.</summary>
    Unsubscribe = 4,
}

/// <summary>One suppressed address.</summary>
public sealed record SuppressionEntry
{
    /// <summary>The address (stored lower-cased).</summary>
    public required string Address { get; init; }

    /// <summary>Why it is suppressed.</summary>
    public required SuppressionReason Reason { get; init; }

    /// <summary>The category of mail it blocks (for example <c>newsletter</c>); null blocks every category.</summary>
    public string? Category { get; init; }

    /// <summary>When it was added.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>What caused it, for people reading the list (for example the bounce's status code and diagnostic).</summary>
    public string? Detail { get; init; }
}

/// <summary>Which entries <see cref="ISuppressionList.ListAsync"/> returns.</summary>
public sealed class SuppressionQuery
{
    /// <summary>Only entries with this reason; null for every reason.</summary>
    public SuppressionReason? Reason { get; init; }

    /// <summary>Only entries after this address in order (keyset paging: pass the last entry's address of the previous page).</summary>
    public string? AfterAddress { get; init; }

    /// <summary>With <see cref="AfterAddress"/>: the last entry's category (null for the all-categories entry).</summary>
    public string? AfterCategory { get; init; }

    /// <summary>At most this many entries, 1 to 10000; default 1000.</summary>
    public int Limit { get; init; } = 1000;
}
