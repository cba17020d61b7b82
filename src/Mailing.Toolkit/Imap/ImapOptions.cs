using System.Net.Security;
using MailKit.Security;

namespace Mailing.Toolkit.Imap;

/// <summary>
/// The IMAP account the mailbox manager (and the IMAP receiver) connects to, bound from <c>Mailing:Imap</c>.
/// Every value has a safe default; <see cref="Host"/> and <see cref="UserName"/> are required.
/// </summary>
public sealed class ImapOptions
{
    /// <summary>The server's host name or IP address (<c>Mailing:Imap:Host</c>).</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The port; 0 picks 993 for <see cref="SecureSocketOptions.SslOnConnect"/> and 143 otherwise.</summary>
    public int Port { get; set; }

    /// <summary>
    /// How the connection is secured. <see cref="SecureSocketOptions.Auto"/> (the default) means SSL-on-connect
    /// on port 993 and <b>required</b> STARTTLS on every other port, unlike MailKit's Auto, which falls back to
    /// plaintext. Plaintext needs <see cref="SecureSocketOptions.None"/>, set explicitly, and then no credentials are sent.
    /// </summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    /// <summary>The login.</summary>
    public string? UserName { get; set; }

    /// <summary>The password; the strongest SASL mechanism the server offers is used. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Supplies an OAuth2 access token for OAUTHBEARER/XOAUTH2 (with <see cref="UserName"/>). Asked on every new
    /// connection; when the server rejects a token it is asked again with <see cref="ImapTokenRequest.ForceRefresh"/>
    /// set. Takes precedence over <see cref="Password"/>. Code only.
    /// </summary>
    public Func<ImapTokenRequest, CancellationToken, ValueTask<string>>? AccessTokenProvider { get; set; }

    /// <summary>The timeout of each network operation (connect, command).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether to check certificate revocation during the TLS handshake.</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>
    /// A custom server certificate check, for example to pin a private CA. Replaces the default
    /// validation when set; code-only, not bindable from configuration.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidationCallback { get; set; }

    /// <summary>
    /// DEVELOPMENT ONLY: accept any server certificate (self-signed, expired, wrong host). Logged as a warning
    /// when the client is created and each time an invalid certificate is accepted. Never enable it in production.
    /// </summary>
    public bool DangerousAcceptAnyServerCertificate { get; set; }

    internal int EffectivePort => Port != 0 ? Port : Security == SecureSocketOptions.SslOnConnect ? 993 : 143;

    internal SecureSocketOptions EffectiveSecurity => Security == SecureSocketOptions.Auto
        ? EffectivePort == 993 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls
        : Security;

    internal string Server => $"{Host}:{EffectivePort}";
}

/// <summary>What an <see cref="ImapOptions.AccessTokenProvider"/> is asked for.</summary>
/// <param name="UserName">The account the token is for.</param>
/// <param name="Host">The IMAP server.</param>
/// <param name="ForceRefresh">True when the server rejected the previous token: return a fresh one, not a cached one.</param>
public readonly record struct ImapTokenRequest(string UserName, string Host, bool ForceRefresh);
