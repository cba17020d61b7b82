using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Security;

namespace Mailing.Toolkit.Net.Internal;

/// <summary>
/// Creates, connects and authenticates MailKit clients (<see cref="MailService"/>: SMTP, IMAP, POP3) by one set of rules:
/// TLS as configured (the protocols resolve Auto to SSL-on-connect or required STARTTLS), certificates validated
/// unless the named development override is on, credentials never sent over an unencrypted connection, OAuth2 tokens
/// refreshed once when the server rejects them, no login without a user name. The caller owns the client it gets.
/// </summary>
internal sealed class MailServiceConnector<TClient>
    where TClient : MailService
{
    private readonly MailConnectionSettings settings;
    private readonly Func<TClient> createClient;
    private readonly IMailConnectionEvents events;

    /// <param name="settings">The account and its connection rules.</param>
    /// <param name="createClient">Makes a new, unconnected client (with its protocol logger).</param>
    /// <param name="events">The protocol's log events.</param>
    public MailServiceConnector(MailConnectionSettings settings, Func<TClient> createClient, IMailConnectionEvents events)
    {
        this.settings = settings;
        this.createClient = createClient;
        this.events = events;
        if (settings.DangerousAcceptAnyServerCertificate)
            events.AcceptsAnyCertificate(settings.Server);
    }

    /// <summary><c>host:port</c>.</summary>
    public string Server => settings.Server;

    /// <summary>A connected, authenticated client; disposed when connecting or authenticating fails.</summary>
    public async Task<TClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = createClient();
        try
        {
            Configure(client);
            await client.ConnectAsync(settings.Host, settings.Port, settings.Security, cancellationToken).ConfigureAwait(false);
            await AuthenticateAsync(client, cancellationToken).ConfigureAwait(false);
            events.Connected(settings.Server, client.IsSecure, client.SslProtocol.ToString());
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359", Justification = "Only with the explicit, logged DangerousAcceptAnyServerCertificate development option.")]
    private void Configure(TClient client)
    {
        client.Timeout = (int)Math.Clamp(settings.Timeout.TotalMilliseconds, 1, int.MaxValue);
        client.CheckCertificateRevocation = settings.CheckCertificateRevocation;
        if (settings.DangerousAcceptAnyServerCertificate)
            client.ServerCertificateValidationCallback = AcceptAnyCertificateForDevelopment;
        else if (settings.ServerCertificateValidationCallback is not null)
            client.ServerCertificateValidationCallback = settings.ServerCertificateValidationCallback;
    }

    private bool AcceptAnyCertificateForDevelopment(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors != SslPolicyErrors.None)
            events.AcceptingInvalidCertificate(settings.Server, errors.ToString(), certificate?.Subject);
        return true;
    }

    private async Task AuthenticateAsync(TClient client, CancellationToken cancellationToken)
    {
        var userName = settings.UserName;
        if (userName.Length == 0)
            return;
        if (!client.IsSecure)
        {
            // StartTlsWhenAvailable against a server without STARTTLS ends here: better no session than a leaked password.
            throw new CredentialsNotSecuredException(
                $"Refusing to send the credentials of user '{userName}' to {settings.Server} over an unencrypted connection. Use Security=Auto, StartTls or SslOnConnect.");
        }

        if (settings.AccessToken is { } provider)
        {
            var token = await GetTokenAsync(provider, forceRefresh: false, cancellationToken).ConfigureAwait(false);
            try
            {
                await client.AuthenticateAsync(CreateOAuthMechanism(client, userName, token), cancellationToken).ConfigureAwait(false);
            }
            catch (AuthenticationException)
            {
                // The token may have expired between the provider's cache and now: ask once more for a fresh one.
                events.TokenRejected(settings.Server);
                token = await GetTokenAsync(provider, forceRefresh: true, cancellationToken).ConfigureAwait(false);
                await client.AuthenticateAsync(CreateOAuthMechanism(client, userName, token), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // MailKit tries the mechanisms both sides support, strongest first (SCRAM before PLAIN and LOGIN).
        await client.AuthenticateAsync(new NetworkCredential(userName, settings.Password), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<string> GetTokenAsync(Func<bool, CancellationToken, ValueTask<string>> provider, bool forceRefresh, CancellationToken cancellationToken)
    {
        string? token;
        try
        {
            token = await provider(forceRefresh, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new TokenProviderException($"The access token provider failed for user '{settings.UserName}' at {settings.Server}: {ex.Message}", ex);
        }

        return string.IsNullOrEmpty(token)
            ? throw new AuthenticationException($"The access token provider returned no token for user '{settings.UserName}' at {settings.Server}.")
            : token;
    }

    /// <summary>OAUTHBEARER (RFC 7628) when the server offers it, else XOAUTH2, which servers that offer neither name may still accept.</summary>
    private static SaslMechanism CreateOAuthMechanism(TClient client, string userName, string token) =>
        client.AuthenticationMechanisms.Contains("OAUTHBEARER")
            ? new SaslMechanismOAuthBearer(userName, token)
            : new SaslMechanismOAuth2(userName, token);
}
