using System.Net.Sockets;
using MailKit;
using MailKit.Security;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// The reconnect policy of the receivers and the mailbox manager: which failures a new connection may fix, and how
/// long to wait before the next attempt.
/// </summary>
internal static class Reconnect
{
    /// <summary>
    /// The delay before attempt <paramref name="failures"/> + 1: <paramref name="baseDelay"/> doubled per failure, capped
    /// at <paramref name="maxDelay"/>, with jitter in the upper half, which keeps several instances from reconnecting in
    /// lockstep while never waiting less than half the nominal delay.
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 16));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    /// <summary>
    /// Failures a new connection may fix: network errors, timeouts, protocol breakdowns (a dropped or garbled session,
    /// of any MailKit protocol), a client that lost its session; not authentication or TLS trust, which a retry only
    /// repeats. A cancellation the caller asked for is never one.
    /// </summary>
    public static bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        ex switch
        {
            OperationCanceledException => !cancellationToken.IsCancellationRequested,
            SslHandshakeException or AuthenticationException => false,
            IOException or SocketException or ProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException or TimeoutException => true,
            _ => false,
        };
}
