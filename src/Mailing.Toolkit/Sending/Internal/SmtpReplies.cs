using System.Net.Sockets;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mailing.Toolkit.Net.Internal;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>Turns MailKit replies and exceptions into recipient results and classified <see cref="MailDeliveryException"/>s.</summary>
internal static partial class SmtpReplies
{
    public static RecipientResult ToRecipientResult(string address, bool accepted, SmtpResponse response) =>
        new(address, accepted, (int)response.StatusCode, EnhancedStatus(response.Response), response.Response);

    /// <summary>The RFC 3463 code at the start of a reply text (<c>5.1.1 User unknown</c>), if any.</summary>
    public static string? EnhancedStatus(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var match = EnhancedStatusPattern().Match(text);
        return match.Success ? match.Value : null;
    }

    /// <summary>Classifies a failure of one send over an established connection.</summary>
    public static MailDeliveryException FromSendFailure(Exception ex, PooledSmtpClient client, int attempts)
    {
        var server = client.Server;
        var maybeDelivered = client.Wire.EndOfDataSent;
        switch (ex)
        {
            case NoRecipientsAcceptedException:
            {
                var recipients = client.Recipients.ToArray();
                var first = recipients.FirstOrDefault();
                var transient = recipients.Any(r => r.IsTransientFailure);
                return new MailDeliveryException(
                    $"{server} refused every recipient ({string.Join("; ", recipients.Select(r => $"{r.ReplyCode} {r.Response}"))}).",
                    "recipients_rejected", first?.ReplyCode ?? 0, first?.EnhancedStatusCode, transient, false, recipients, server, attempts, ex);
            }

            case SmtpCommandException command:
            {
                var code = (int)command.StatusCode;
                var transient = code is >= 400 and < 500;
                var stage = command.ErrorCode switch
                {
                    SmtpErrorCode.SenderNotAccepted => "refused the sender",
                    SmtpErrorCode.RecipientNotAccepted => "refused a recipient",
                    SmtpErrorCode.MessageNotAccepted => "refused the message",
                    _ => "answered unexpectedly",
                };
                return new MailDeliveryException(
                    $"{server} {stage}: {code} {command.Message}{(transient ? " (temporary)" : string.Empty)}",
                    "rejected", code, EnhancedStatus(command.Message), transient, false, client.Recipients.ToArray(), server, attempts, ex);
            }

            default:
                return FromConnectionFailure(ex, server, attempts, maybeDelivered, client.Recipients.ToArray());
        }
    }

    /// <summary>Classifies a failure that is about the connection itself (network, timeout, protocol), at any stage.</summary>
    public static MailDeliveryException FromConnectionFailure(Exception ex, string server, int attempts, bool maybeDelivered, IReadOnlyList<RecipientResult>? recipients = null)
    {
        var errorType = ex switch
        {
            TimeoutException or OperationCanceledException => "timeout",
            IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } } => "timeout",
            SmtpProtocolException => "protocol",
            SocketException or ServiceNotConnectedException => "connection",
            _ => "io",
        };
        var what = errorType switch
        {
            "timeout" => "timed out",
            "protocol" => "broke the SMTP protocol or dropped the connection",
            _ => "connection failed",
        };
        var message = maybeDelivered
            ? $"{server} {what} after the end of the message data: the message may have been delivered, so it was not sent again ({ex.Message})."
            : $"{server} {what} before the message was complete ({ex.Message}).";
        return new MailDeliveryException(message, errorType, 0, null, isTransient: true, maybeDelivered, recipients, server, attempts, ex);
    }

    /// <summary>Classifies a failure while connecting, securing or authenticating.</summary>
    public static MailDeliveryException FromConnectFailure(Exception ex, SmtpServerEndpoint endpoint, string? userName)
    {
        var server = endpoint.ToString();
        return ex switch
        {
            MailDeliveryException delivery => delivery,
            CredentialsNotSecuredException => new MailDeliveryException(ex.Message, "tls", 0, null, false, false, null, server, 0, ex),
            TokenProviderException => new MailDeliveryException(ex.Message, "authentication", 0, null, isTransient: true, maybeDelivered: false, null, server, 0, ex.InnerException),
            SslHandshakeException => new MailDeliveryException(
                $"The TLS handshake with {server} failed: {FirstLine(ex.Message)} If the server uses a self-signed certificate in development, set ServerCertificateValidationCallback or DangerousAcceptAnyServerCertificate; never in production.",
                "tls", 0, null, false, false, null, server, 0, ex),
            NotSupportedException when endpoint.EffectiveSecurity == SecureSocketOptions.StartTls && ex.Message.Contains("STARTTLS", StringComparison.OrdinalIgnoreCase) => new MailDeliveryException(
                $"{server} does not offer STARTTLS, and Security={endpoint.Security} requires it. Use a port with TLS (465 with SslOnConnect, 587 with STARTTLS), or set Security=None only for a trusted local relay.",
                "tls", 0, null, false, false, null, server, 0, ex),
            AuthenticationException => new MailDeliveryException(
                $"Authentication failed for user '{userName}' at {server}: {ex.Message} Check the sender's UserName and its password or access token.",
                "authentication", 0, null, false, false, null, server, 0, ex),
            NotSupportedException when userName is not null => new MailDeliveryException(
                $"{server} offers no authentication mechanism usable for user '{userName}' ({ex.Message}). Remove the credentials or use the server's submission port.",
                "authentication", 0, null, false, false, null, server, 0, ex),
            SmtpCommandException command => new MailDeliveryException(
                $"{server} refused the session: {(int)command.StatusCode} {command.Message}",
                "rejected", (int)command.StatusCode, EnhancedStatus(command.Message), (int)command.StatusCode is >= 400 and < 500, false, null, server, 0, ex),
            _ => FromConnectionFailure(ex, server, 0, maybeDelivered: false),
        };
    }

    /// <summary>The same failure with the final attempt count.</summary>
    public static MailDeliveryException WithAttempts(MailDeliveryException ex, int attempts) =>
        ex.Attempts == attempts
            ? ex
            : new MailDeliveryException(ex.Message, ex.ErrorType, ex.ReplyCode, ex.EnhancedStatusCode, ex.IsTransient, ex.MaybeDelivered, ex.Recipients, ex.Server, attempts, ex.InnerException);

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}\b", RegexOptions.CultureInvariant)]
    private static partial Regex EnhancedStatusPattern();
}
