using System.Net.Sockets;
using MailKit;
using MailKit.Security;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// Which failures a new connection may fix, for the receivers and the mailbox manager (the wait before the next
/// attempt is <see cref="ExponentialBackoff"/>).
/// </summary>
internal static class Reconnect
{
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
