namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// The one backoff of the library: SMTP send retries, reconnects of the receivers and the IMAP session, and the
/// inbound pipeline's handler retries all wait by it.
/// </summary>
internal static class ExponentialBackoff
{
    /// <summary>
    /// The delay before attempt <paramref name="failures"/> + 1: <paramref name="baseDelay"/> doubled per failure, capped
    /// at <paramref name="maxDelay"/>, with "equal jitter" (a random point in the upper half), which keeps several
    /// instances or messages from retrying in lockstep while never waiting less than half the nominal delay.
    /// Zero when <paramref name="baseDelay"/> is zero or less.
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        if (baseDelay <= TimeSpan.Zero)
            return TimeSpan.Zero;
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }
}
