using System.Net.Security;
using MailKit.Security;

namespace Mailing.Toolkit.Sending;

/// <summary>
/// Settings of the pooled SMTP sender, bound from <c>Mailing:Smtp</c> (or <c>Mailing:Senders:{name}</c>
/// for a keyed sender). Every value has a safe default; only <see cref="Host"/> is required.
/// </summary>
public sealed class SmtpSenderOptions
{
    /// <summary>The primary server's host name (<c>Mailing:Smtp:Host</c>).</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The primary server's port; 0 picks 465 for SSL-on-connect and 587 (submission) otherwise.</summary>
    public int Port { get; set; }

    /// <summary>
    /// How connections are secured. <see cref="SecureSocketOptions.Auto"/> (the default) means
    /// SSL-on-connect for port 465 and required STARTTLS elsewhere. Plaintext only with
    /// <see cref="SecureSocketOptions.None"/>; credentials are never sent over plaintext.
    /// </summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    /// <summary>Servers tried in order when the primary cannot be reached (same credentials).</summary>
    public IList<SmtpServerEndpoint> FailoverServers { get; } = new List<SmtpServerEndpoint>();

    /// <summary>How long a server that failed to connect is skipped in favour of the next one.</summary>
    public TimeSpan FailoverCooldown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The user name for SMTP AUTH; no authentication when empty.</summary>
    public string? UserName { get; set; }

    /// <summary>The password; the strongest SASL mechanism the server offers is used. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Supplies an OAuth2 access token for XOAUTH2/OAUTHBEARER (with <see cref="UserName"/>). Asked on every
    /// new connection; when the server rejects a token it is asked again with
    /// <see cref="SmtpTokenRequest.ForceRefresh"/> set. Takes precedence over <see cref="Password"/>.
    /// </summary>
    public Func<SmtpTokenRequest, CancellationToken, ValueTask<string>>? AccessTokenProvider { get; set; }

    /// <summary>The name announced in EHLO; the machine name when empty.</summary>
    public string? LocalDomain { get; set; }

    /// <summary>The most connections open at once; also the most concurrent sends.</summary>
    public int MaxConnections { get; set; } = 4;

    /// <summary>Messages sent over one connection before it is closed and replaced.</summary>
    public int MaxMessagesPerConnection { get; set; } = 100;

    /// <summary>An unused connection is closed after this long.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The timeout of each network operation (connect, command, data).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per message, the first included; transient failures only are retried.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry; it doubles with each attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most messages per second across the whole pool; 0 (the default) means no limit.</summary>
    public double MaxMessagesPerSecond { get; set; }

    /// <summary>Whether to check certificate revocation during the TLS handshake.</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>
    /// A custom server certificate check, for example to pin a private CA. Replaces the default
    /// validation when set; code-only, not bindable from configuration.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidationCallback { get; set; }

    /// <summary>
    /// DEVELOPMENT ONLY: accept any server certificate (self-signed, expired, wrong host). Logged as a
    /// warning when the sender is created and each time an invalid certificate is accepted. Never enable it in production.
    /// </summary>
    public bool DangerousAcceptAnyServerCertificate { get; set; }

    internal IEnumerable<SmtpServerEndpoint> AllEndpoints()
    {
        yield return new SmtpServerEndpoint { Host = Host, Port = Port, Security = Security };
        foreach (var endpoint in FailoverServers)
            yield return endpoint;
    }
}

/// <summary>What an <see cref="SmtpSenderOptions.AccessTokenProvider"/> is asked for.</summary>
/// <param name="UserName">The account the token is for.</param>
/// <param name="Host">The SMTP server.</param>
/// <param name="ForceRefresh">True when the server rejected the previous token: return a fresh one, not a cached one.</param>
public readonly record struct SmtpTokenRequest(string UserName, string Host, bool ForceRefresh);
