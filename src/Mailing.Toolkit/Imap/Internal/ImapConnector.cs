using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Creates, connects and authenticates <see cref="ImapClient"/>s by the rules of <see cref="ImapOptions"/>:
/// TLS by default (Auto is SSL-on-connect on 993, required STARTTLS elsewhere), certificates validated unless the
/// named development override is on, credentials never sent over an unencrypted connection, OAuth2 tokens
/// refreshed once when the server rejects them. The caller owns the client it gets.
/// </summary>
internal sealed class ImapConnector
{
    private readonly ImapOptions options;
    private readonly ILogger logger;
    private readonly ILogger wireLogger;

    public ImapConnector(ImapOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<ImapConnector>();
        wireLogger = loggerFactory.CreateLogger("Mailing.Toolkit.Imap.ImapProtocol");
        if (options.DangerousAcceptAnyServerCertificate)
            ImapLog.AcceptsAnyCertificate(logger, options.Server);
    }

    /// <summary><c>host:port</c>.</summary>
    public string Server => options.Server;

    /// <summary>A connected, authenticated client; disposed when connecting or authenticating fails.</summary>
    public async Task<ImapClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = CreateClient();
        try
        {
            await client.ConnectAsync(options.Host, options.EffectivePort, options.EffectiveSecurity, cancellationToken).ConfigureAwait(false);
            await AuthenticateAsync(client, cancellationToken).ConfigureAwait(false);
            ImapLog.Connected(logger, options.Server, client.IsSecure, client.SslProtocol.ToString());
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "Only with the explicit, logged DangerousAcceptAnyServerCertificate development option.")]
    private ImapClient CreateClient()
    {
        var client = new ImapClient(new ImapWireLogger(wireLogger))
        {
            Timeout = (int)Math.Clamp(options.Timeout.TotalMilliseconds, 1, int.MaxValue),
            CheckCertificateRevocation = options.CheckCertificateRevocation,
        };
        if (options.DangerousAcceptAnyServerCertificate)
            client.ServerCertificateValidationCallback = AcceptAnyCertificateForDevelopment;
        else if (options.ServerCertificateValidationCallback is not null)
            client.ServerCertificateValidationCallback = options.ServerCertificateValidationCallback;
        return client;
    }

    private bool AcceptAnyCertificateForDevelopment(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors != SslPolicyErrors.None)
            ImapLog.AcceptingInvalidCertificate(logger, errors.ToString(), certificate?.Subject);
        return true;
    }

    private async Task AuthenticateAsync(ImapClient client, CancellationToken cancellationToken)
    {
        var userName = options.UserName ?? string.Empty;
        if (!client.IsSecure)
        {
            // StartTlsWhenAvailable against a server without STARTTLS ends here: better no session than a leaked password.
            throw new AuthenticationException(
                $"Refusing to send the credentials of user '{userName}' to {options.Server} over an unencrypted connection. Use Security=Auto, StartTls or SslOnConnect.");
        }

        if (options.AccessTokenProvider is { } provider)
        {
            var token = await GetTokenAsync(provider, userName, forceRefresh: false, cancellationToken).ConfigureAwait(false);
            try
            {
                await client.AuthenticateAsync(CreateOAuthMechanism(client, userName, token), cancellationToken).ConfigureAwait(false);
            }
            catch (AuthenticationException)
            {
                // The token may have expired between the provider's cache and now: ask once more for a fresh one.
                ImapLog.TokenRejected(logger, options.Server);
                token = await GetTokenAsync(provider, userName, forceRefresh: true, cancellationToken).ConfigureAwait(false);
                await client.AuthenticateAsync(CreateOAuthMechanism(client, userName, token), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // MailKit tries the mechanisms both sides support, strongest first (SCRAM before PLAIN and LOGIN).
        await client.AuthenticateAsync(new NetworkCredential(userName, options.Password), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<string> GetTokenAsync(
        Func<ImapTokenRequest, CancellationToken, ValueTask<string>> provider, string userName, bool forceRefresh, CancellationToken cancellationToken)
    {
        var token = await provider(new ImapTokenRequest(userName, options.Host, forceRefresh), cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(token)
            ? throw new AuthenticationException($"The access token provider returned no token for user '{userName}' at {options.Server}.")
            : token;
    }

    private static SaslMechanism CreateOAuthMechanism(ImapClient client, string userName, string token) =>
        client.AuthenticationMechanisms.Contains("OAUTHBEARER")
            ? new SaslMechanismOAuthBearer(userName, token)
            : new SaslMechanismOAuth2(userName, token);
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
