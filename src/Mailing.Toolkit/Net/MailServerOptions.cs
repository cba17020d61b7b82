using System.Net.Security;
using MailKit.Security;

namespace Mailing.Toolkit.Net;

/// <summary>
/// The connection settings every mail protocol shares: where the server is, how the connection is secured, how the
/// client logs in. <see cref="Sending.SmtpSenderOptions"/>, <see cref="Imap.ImapOptions"/> and
/// <see cref="Receiving.Pop3ReceiverOptions"/> derive from it, so the same keys mean the same thing in each section,
/// and one connect, TLS and login routine serves them all.
/// </summary>
public abstract class MailServerOptions
{
    private protected MailServerOptions()
    {
    }

    /// <summary>The server's host name or IP address.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The port; 0 picks the protocol's SSL-on-connect port for <see cref="SecureSocketOptions.SslOnConnect"/> and its standard port otherwise.</summary>
    public int Port { get; set; }

    /// <summary>
    /// How the connection is secured. <see cref="SecureSocketOptions.Auto"/> (the default) means SSL-on-connect on
    /// the protocol's SSL port (SMTP 465, IMAP 993, POP3 995) and <b>required</b> STARTTLS on every other port,
    /// unlike MailKit's Auto, which falls back to plaintext. Plaintext needs <see cref="SecureSocketOptions.None"/>,
    /// set explicitly, and then no credentials are sent.
    /// </summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    /// <summary>The login.</summary>
    public string? UserName { get; set; }

    /// <summary>The password; the strongest SASL mechanism the server offers is used. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Supplies an OAuth2 access token for OAUTHBEARER/XOAUTH2 (with <see cref="UserName"/>). Asked on every new
    /// connection; when the server rejects a token it is asked again with <see cref="MailTokenRequest.ForceRefresh"/>
    /// set. Takes precedence over <see cref="Password"/>. Code only; the token is never logged.
    /// </summary>
    public Func<MailTokenRequest, CancellationToken, ValueTask<string>>? AccessTokenProvider { get; set; }

    /// <summary>The timeout of each network operation (connect, command, data).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether to check certificate revocation during the TLS handshake.</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>
    /// A custom server certificate check, for example to pin a private CA. Replaces the default validation when
    /// set; code-only, not bindable from configuration.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidationCallback { get; set; }

    /// <summary>
    /// DEVELOPMENT ONLY: accept any server certificate (self-signed, expired, wrong host). Logged as a warning when
    /// the client is created and each time an invalid certificate is accepted. Never enable it in production.
    /// </summary>
    public bool DangerousAcceptAnyServerCertificate { get; set; }

    /// <summary>The protocol's name in messages: SMTP, IMAP, POP3.</summary>
    private protected abstract string Protocol { get; }

    /// <summary>The protocol's SSL-on-connect port (465, 993, 995); null for a protocol that has none (ManageSieve).</summary>
    private protected abstract int? SslPort { get; }

    /// <summary>The protocol's port with STARTTLS or plaintext (587, 143, 110).</summary>
    private protected abstract int StandardPort { get; }

    internal int EffectivePort => Port != 0 ? Port : Security == SecureSocketOptions.SslOnConnect && SslPort is { } ssl ? ssl : StandardPort;

    /// <summary>What Auto means on the effective port: SSL-on-connect on the SSL port, required STARTTLS elsewhere.</summary>
    internal SecureSocketOptions EffectiveSecurity => Security != SecureSocketOptions.Auto ? Security
        : EffectivePort == SslPort ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;

    internal string Server => $"{Host}:{EffectivePort}";

    internal string ProtocolName => Protocol;

    /// <summary>"465 or 587": what a port of 0 stands for, for messages.</summary>
    internal string DefaultPorts => SslPort is null ? $"{StandardPort}" : $"{SslPort} or {StandardPort}";
}

/// <summary>What a <see cref="MailServerOptions.AccessTokenProvider"/> is asked for.</summary>
/// <param name="UserName">The account the token is for.</param>
/// <param name="Host">The server.</param>
/// <param name="ForceRefresh">True when the server rejected the previous token: return a fresh one, not a cached one.</param>
public readonly record struct MailTokenRequest(string UserName, string Host, bool ForceRefresh);
