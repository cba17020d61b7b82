using MailKit.Net.Imap;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Creates, connects and authenticates <see cref="ImapClient"/>s by the rules of <see cref="ImapOptions"/> (TLS by
/// default: Auto is SSL-on-connect on 993, required STARTTLS elsewhere), on the shared
/// <see cref="MailServiceConnector{TClient}"/>: certificates validated unless the named development override is on,
/// credentials never sent over an unencrypted connection, OAuth2 tokens refreshed once when the server rejects them.
/// The caller owns the client it gets.
/// </summary>
internal sealed class ImapConnector
{
    /// <summary>The category of the IMAP protocol transcript (events 3010-3012).</summary>
    public const string ProtocolCategory = "Mailing.Toolkit.Imap.ImapProtocol";

    private readonly MailServiceConnector<ImapClient> connector;

    public ImapConnector(ImapOptions options, ILoggerFactory loggerFactory)
    {
        var wireLogger = loggerFactory.CreateLogger(ProtocolCategory);
        var settings = MailConnectionSettings.For(options);
        connector = new(settings, () => new ImapClient(new ImapWireLogger(wireLogger)), new Events(loggerFactory.CreateLogger<ImapConnector>()));
    }

    /// <summary><c>host:port</c>.</summary>
    public string Server => connector.Server;

    /// <summary>A connected, authenticated client; disposed when connecting or authenticating fails.</summary>
    public Task<ImapClient> ConnectAsync(CancellationToken cancellationToken) => connector.ConnectAsync(cancellationToken);

    private sealed class Events(ILogger logger) : IMailConnectionEvents
    {
        public void AcceptsAnyCertificate(string server) => ImapLog.AcceptsAnyCertificate(logger, server);

        public void AcceptingInvalidCertificate(string server, string errors, string? subject) => ImapLog.AcceptingInvalidCertificate(logger, errors, subject);

        public void TokenRejected(string server) => ImapLog.TokenRejected(logger, server);

        public void Connected(string server, bool secure, string protocol) => ImapLog.Connected(logger, server, secure, protocol);
    }
}

internal static partial class ImapLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Opened IMAP connection to {Server} (TLS: {Secure}, {Protocol})")]
    public static partial void Connected(ILogger logger, string server, bool secure, string protocol);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "IMAP client for {Server} accepts any server certificate (DangerousAcceptAnyServerCertificate). Never use this in production.")]
    public static partial void AcceptsAnyCertificate(ILogger logger, string server);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "DangerousAcceptAnyServerCertificate is on: accepting an invalid server certificate ({Errors}, subject {Subject}). Never use this in production.")]
    public static partial void AcceptingInvalidCertificate(ILogger logger, string errors, string? subject);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "{Server} rejected the OAuth2 access token; asking the token provider for a fresh one")]
    public static partial void TokenRejected(ILogger logger, string server);
}
