using MailKit.Security;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// The start-up checks of the settings every protocol shares (<see cref="MailServerOptions"/>), with messages that
/// name the configuration key to fix, so SMTP, IMAP and POP3 refuse the same mistakes with the same words.
/// </summary>
internal static class MailServerChecks
{
    /// <summary>Checks the server, the login and the timeout; <paramref name="loginRequired"/> for protocols that cannot work without one (IMAP, POP3).</summary>
    public static void Check(List<string> errors, string path, MailServerOptions options, bool loginRequired)
    {
        CheckServer(errors, path, options.Host, options.Port, options.Security, options);
        CheckLogin(errors, path, options, loginRequired);
        CheckDuration(errors, $"{path}:Timeout", options.Timeout, TimeSpan.FromMinutes(30));
    }

    /// <summary>Checks one server address (the primary, or an SMTP failover server at <paramref name="at"/>).</summary>
    public static void CheckServer(List<string> errors, string at, string host, int port, SecureSocketOptions security, MailServerOptions protocol)
    {
        if (string.IsNullOrWhiteSpace(host))
            errors.Add($"{at}:Host is required.");
        else if (HeaderSafety.ContainsLineBreakOrNul(host) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            errors.Add($"{at}:Host '{host.ReplaceLineEndings(" ")}' is not a valid host name or IP address.");
        if (port is < 0 or > 65535)
            errors.Add($"{at}:Port must be 0-65535 (was {port}); 0 picks {protocol.DefaultPorts} from Security.");
        if (!Enum.IsDefined(security))
            errors.Add($"{at}:Security must be one of {string.Join(", ", Enum.GetNames<SecureSocketOptions>())}.");
    }

    /// <summary>A duration above zero and at most <paramref name="max"/>.</summary>
    public static void CheckDuration(List<string> errors, string key, TimeSpan value, TimeSpan max)
    {
        // "30" binds as 30 days: an upper bound catches a number written without hh:mm:ss.
        if (value <= TimeSpan.Zero || value > max)
            errors.Add($"{key} must be a duration between 00:00:00.001 and {max:c}, written hh:mm:ss (was {value:c}).");
    }

    /// <summary>The reconnect settings of the receivers: attempts in a row and the backoff range.</summary>
    public static void CheckReconnect(List<string> errors, string path, int maxAttempts, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        if (maxAttempts is < 1 or > 100)
            errors.Add($"{path}:MaxConnectAttempts must be 1-100 (was {maxAttempts}).");
        if (baseDelay < TimeSpan.Zero || baseDelay > TimeSpan.FromHours(1))
            errors.Add($"{path}:ReconnectBaseDelay must be between 00:00:00 and 01:00:00 (was {baseDelay:c}).");
        if (maxDelay < baseDelay || maxDelay > TimeSpan.FromHours(1))
            errors.Add($"{path}:ReconnectMaxDelay must be at least ReconnectBaseDelay and at most 01:00:00 (was {maxDelay:c}).");
    }

    private static void CheckLogin(List<string> errors, string path, MailServerOptions options, bool loginRequired)
    {
        if (string.IsNullOrWhiteSpace(options.UserName))
        {
            if (loginRequired)
                errors.Add($"{path}:UserName is required: {options.ProtocolName} needs a login.");
            else if (!string.IsNullOrEmpty(options.Password) || options.AccessTokenProvider is not null)
                errors.Add($"{path}:UserName is required when a password or an access token provider is set.");
            return;
        }

        if (HeaderSafety.ContainsLineBreakOrNul(options.UserName))
            errors.Add($"{path}:UserName must not contain CR, LF or NUL.");
        if (options.Security == SecureSocketOptions.None)
            errors.Add($"{path}:Security is None but {path}:UserName is set: credentials are never sent over an unencrypted connection. Use Auto, StartTls or SslOnConnect.");
        if (string.IsNullOrEmpty(options.Password))
        {
            if (loginRequired && options.AccessTokenProvider is null)
                errors.Add($"{path}:Password is required (or set AccessTokenProvider in code for OAuth2).");
        }
        else if (HeaderSafety.ContainsLineBreakOrNul(options.Password))
        {
            errors.Add($"{path}:Password must not contain CR, LF or NUL.");
        }
    }
}
