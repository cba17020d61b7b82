using System.Net.Security;
using MailKit.Security;

namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Settings of the POP3 receiver, bound from <c>Mailing:Pop3</c>. <see cref="Host"/> is required; everything
/// else has a safe default.
/// </summary>
public sealed class Pop3ReceiverOptions
{
    /// <summary>The server's host name (<c>Mailing:Pop3:Host</c>).</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The server's port; 0 picks 995 for SSL-on-connect and 110 otherwise.</summary>
    public int Port { get; set; }

    /// <summary>
    /// How the connection is secured. <see cref="SecureSocketOptions.Auto"/> (the default) means SSL-on-connect
    /// on port 995 and required STARTTLS (STLS) elsewhere. Plaintext only with <see cref="SecureSocketOptions.None"/>,
    /// and then never with credentials.
    /// </summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    /// <summary>The account's user name.</summary>
    public string UserName { get; set; } = string.Empty;

    /// <summary>The password; the strongest SASL mechanism the server offers is used. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Supplies an OAuth2 access token for OAUTHBEARER/XOAUTH2 (with <see cref="UserName"/>). Asked on every new
    /// session; when the server rejects a token it is asked again with <see cref="Pop3TokenRequest.ForceRefresh"/>
    /// set. Takes precedence over <see cref="Password"/>. Code only; the token is never logged.
    /// </summary>
    public Func<Pop3TokenRequest, CancellationToken, ValueTask<string>>? AccessTokenProvider { get; set; }

    /// <summary>
    /// Whether a message is deleted on the server once its handler succeeded (DELE, committed by QUIT at the end
    /// of the pass). Off by default: handled messages stay on the server and are recognized by their UIDL.
    /// <see cref="MailDisposition.Delete"/> deletes regardless of this setting.
    /// </summary>
    public bool DeleteAfterHandling { get; set; }

    /// <summary>
    /// The JSON file that records the UIDLs of handled messages, so a restart does not hand them again. When empty,
    /// an <see cref="IMailboxStateStore"/> registered in the container is used, and otherwise positions are kept in
    /// memory only (a warning is logged: after a restart every message still on the server is handed again).
    /// </summary>
    public string? StateFilePath { get; set; }

    /// <summary>The key of this mailbox in the state store; <c>pop3://{UserName}@{Host}:{Port}</c> when empty.</summary>
    public string? StateKey { get; set; }

    /// <summary>The timeout of each network operation.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connection attempts per pass, the first included, before the pass fails.</summary>
    public int MaxConnectAttempts { get; set; } = 5;

    /// <summary>The delay before reconnecting after a failure; it doubles with each attempt, with jitter.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two connection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether to check certificate revocation during the TLS handshake.</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>
    /// A custom server certificate check, for example to pin a private CA. Replaces the default validation when
    /// set; code-only, not bindable from configuration.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidationCallback { get; set; }

    /// <summary>
    /// DEVELOPMENT ONLY: accept any server certificate (self-signed, expired, wrong host). Logged as a warning when
    /// the receiver is created and each time an invalid certificate is accepted. Never enable it in production.
    /// </summary>
    public bool DangerousAcceptAnyServerCertificate { get; set; }

    internal int EffectivePort => Port != 0 ? Port : Security == SecureSocketOptions.SslOnConnect ? 995 : 110;

    internal SecureSocketOptions EffectiveSecurity => Security switch
    {
        SecureSocketOptions.Auto => EffectivePort == 995 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls,
        _ => Security,
    };

    internal string EffectiveStateKey => string.IsNullOrWhiteSpace(StateKey) ? $"pop3://{UserName}@{Host}:{EffectivePort}" : StateKey;
}

/// <summary>What a <see cref="Pop3ReceiverOptions.AccessTokenProvider"/> is asked for.</summary>
/// <param name="UserName">The account the token is for.</param>
/// <param name="Host">The POP3 server.</param>
/// <param name="ForceRefresh">True when the server rejected the previous token: return a fresh one, not a cached one.</param>
public readonly record struct Pop3TokenRequest(string UserName, string Host, bool ForceRefresh);
