using System.Net.Security;
using MailKit.Security;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// What <see cref="MailServiceConnector{TClient}"/> needs to open an authenticated session, protocol-neutral: each
/// protocol's options (IMAP, POP3) are mapped onto it once, with their effective port and security already resolved.
/// </summary>
internal sealed class MailConnectionSettings
{
    /// <summary>The protocol's name in messages: <c>IMAP</c>, <c>POP3</c>.</summary>
    public required string Protocol { get; init; }

    public required string Host { get; init; }

    /// <summary>The effective port (never 0).</summary>
    public required int Port { get; init; }

    /// <summary>The effective security (never <see cref="SecureSocketOptions.Auto"/>).</summary>
    public required SecureSocketOptions Security { get; init; }

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
/// (IMAP 3000-3003, POP3 3120, 3126, 3127, 3129).
/// </summary>
internal interface IMailConnectionEvents
{
    void AcceptsAnyCertificate(string server);

    void AcceptingInvalidCertificate(string server, string errors, string? subject);

    void TokenRejected(string server);

    void Connected(string server, bool secure, string protocol);
}
