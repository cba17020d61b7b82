namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Remembers which inbound messages were handled, per mailbox and message key (the Message-ID, or a digest of the
/// raw message when it has none), so a pipeline with <c>Deduplicate</c> on handles each message once across
/// instances and restarts, even when the mailbox hands it out twice (two copies delivered, a claim lost, a position
/// reset). The built-in store lives in memory; <c>UseSqlite</c>/<c>UsePostgreSql</c> share it between instances.
/// </summary>
/// <remarks>
/// A key is begun, then completed when its handlers succeeded or released when they failed. A begun key that is
/// neither completed nor released (its instance died) may be begun again once its lease has passed.
/// </remarks>
public interface IInboundDeduplicationStore
{
    /// <summary>Claims <paramref name="key"/> of <paramref name="mailbox"/> for handling until <paramref name="now"/> + <paramref name="lease"/>.</summary>
    /// <returns>Whether the caller may handle it, or it was handled already, or another caller is handling it now.</returns>
    ValueTask<DeduplicationResult> TryBeginAsync(string mailbox, string key, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Records that <paramref name="key"/> was handled at <paramref name="now"/>: every later <see cref="TryBeginAsync"/> answers <see cref="DeduplicationResult.AlreadyHandled"/>.</summary>
    ValueTask CompleteAsync(string mailbox, string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Gives up a begun key whose handling failed, so the message may be handled again.</summary>
    ValueTask ReleaseAsync(string mailbox, string key, CancellationToken cancellationToken = default);

    /// <summary>Forgets keys handled before <paramref name="handledBefore"/>; returns how many.</summary>
    ValueTask<int> PurgeAsync(DateTimeOffset handledBefore, CancellationToken cancellationToken = default);
}

/// <summary>The answer of <see cref="IInboundDeduplicationStore.TryBeginAsync"/>.</summary>
public enum DeduplicationResult
{
    /// <summary>The caller holds the key now and handles the message.</summary>
    Begun = 0,

    /// <summary>The message was handled before: acknowledge it without handling it again.</summary>
    AlreadyHandled = 1,

    /// <summary>Another caller is handling it now: leave the message for a later pass.</summary>
    InProgress = 2,
}
