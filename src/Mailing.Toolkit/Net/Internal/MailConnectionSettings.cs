using System.Net.Security;
using MailKit.Security;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// What <see cref="MailServiceConnector{TClient}"/> needs to open an authenticated session, protocol-neutral: made
/// once from a protocol's <see cref="MailServerOptions"/> (SMTP, IMAP, POP3), with the effective port and security
/// already resolved.
/// </summary>
internal sealed class MailConnectionSettings
{
    /// <summary>The settings of <paramref name="options"/>'s own server.</summary>
    public static MailConnectionSettings For(MailServerOptions options) =>
        For(options, options.Host, options.EffectivePort, options.EffectiveSecurity);

    /// <summary>The settings of <paramref name="options"/> for another server with the same login (an SMTP failover server).</summary>
    public static MailConnectionSettings For(MailServerOptions options, string host, int port, SecureSocketOptions security)
    {
        var userName = options.UserName ?? string.Empty;
        var provider = options.AccessTokenProvider;
        return new MailConnectionSettings
        {
            Protocol = options.ProtocolName,
            Host = host,
            Port = port,
            Security = security,
            UserName = userName,
            Password = options.Password,
            AccessToken = provider is null ? null : (forceRefresh, ct) => provider(new MailTokenRequest(userName, host, forceRefresh), ct),
            Timeout = options.Timeout,
            CheckCertificateRevocation = options.CheckCertificateRevocation,
            ServerCertificateValidationCallback = options.ServerCertificateValidationCallback,
            DangerousAcceptAnyServerCertificate = options.DangerousAcceptAnyServerCertificate,
        };
    }

    /// <summary>The protocol's name in messages: <c>SMTP</c>, <c>IMAP</c>, <c>POP3</c>.</summary>
    public required string Protocol { get; init; }

    public required string Host { get; init; }

    /// <summary>The effective port (never 0).</summary>
    public required int Port { get; init; }

    /// <summary>The effective security (never <see cref="SecureSocketOptions.Auto"/>).</summary>
    public required SecureSocketOptions Security { get; init; }

    /// <summary>The login; empty: connect without authenticating (an SMTP relay that needs none).</summary>
    public required string UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>
    /// Supplies an OAuth2 access token; the argument is true when the server rejected the previous one and a fresh
    /// token (not a cached one) is wanted. Takes precedence over <see cref="Password"/>.
    /// </summary>
    public Func<bool, CancellationToken, ValueTask<string>>? AccessToken { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool CheckCertificateRevocation { get; init; } = true;

    public RemoteCertificateValidationCallback? ServerCertificateValidationCallback { get; init; }

    public bool DangerousAcceptAnyServerCertificate { get; init; }

    /// <summary><c>host:port</c>, for logs and messages.</summary>
    public string Server => $"{Host}:{Port}";
}

/// <summary>
/// The log events of a connector, supplied by each protocol so that its events keep their own ids and category
/// (SMTP 1000-1010, IMAP 3000-3003, POP3 3120, 3126, 3127, 3129).
/// </summary>
internal interface IMailConnectionEvents
{
    void AcceptsAnyCertificate(string server);

    void AcceptingInvalidCertificate(string server, string errors, string? subject);

    void TokenRejected(string server);

    void Connected(string server, bool secure, string protocol);
}

/// <summary>Credentials would have crossed an unencrypted connection, so the connector refused to send them.</summary>
internal sealed class CredentialsNotSecuredException(string message) : AuthenticationException(message);

/// <summary>The access token provider threw: a fault of the token endpoint, worth retrying later, not of the message.</summary>
internal sealed class TokenProviderException(string message, Exception innerException) : Exception(message, innerException);
