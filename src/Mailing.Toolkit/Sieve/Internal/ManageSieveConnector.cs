using MailKit.Security;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>Opens <see cref="ManageSieveSession"/>s through the shared <see cref="MailServiceConnector{TClient}"/>.</summary>
internal sealed class ManageSieveConnector : IManageSieveClient
{
    /// <summary>The category of the ManageSieve protocol transcript (events 6010-6012, Trace).</summary>
    public const string ProtocolCategory = "Mailing.Toolkit.Sieve.ManageSieveProtocol";

    private readonly ManageSieveOptions options;
    private readonly MailConnectionSettings settings;
    private readonly ILogger wireLogger;
    private readonly Events events;
    private readonly MailServiceConnector<ManageSieveClient> own;

    public ManageSieveConnector(ManageSieveOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        settings = MailConnectionSettings.For(options);
        wireLogger = loggerFactory.CreateLogger(ProtocolCategory);
        events = new Events(loggerFactory.CreateLogger<ManageSieveConnector>());
        own = Connector(null);
    }

    public async Task<IManageSieveSession> ConnectAsync(string? account = null, CancellationToken cancellationToken = default)
    {
        if (account is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(account);
            HeaderSafety.EnsureSingleLine(account, "The account", nameof(account));
            if (settings.AccessToken is not null)
                throw new ArgumentException("Acting for another account needs a password login (SASL PLAIN with an authorization identity), not an OAuth2 token.", nameof(account));
        }

        try
        {
            var client = await (account is null ? own : Connector(account)).ConnectAsync(cancellationToken).ConfigureAwait(false);
            return new ManageSieveSession(client);
        }
        catch (ManageSieveException)
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var acting = account is null ? "" : $" for account '{account}'";
            var what = ex is AuthenticationException ? "log in to" : "connect to";
            throw new ManageSieveException($"Could not {what} the ManageSieve server {settings.Server} as '{settings.UserName}'{acting}: {ex.Message}", ex);
        }
    }

    private MailServiceConnector<ManageSieveClient> Connector(string? account) =>
        new(settings, () => new ManageSieveClient(wireLogger, options.MaxScriptSize) { AuthorizationIdentity = account }, events);

    private sealed class Events(ILogger logger) : IMailConnectionEvents
    {
        public void AcceptsAnyCertificate(string server) => ManageSieveLog.AcceptsAnyCertificate(logger, server);

        public void AcceptingInvalidCertificate(string server, string errors, string? subject) => ManageSieveLog.AcceptingInvalidCertificate(logger, server, errors, subject);

        public void TokenRejected(string server) => ManageSieveLog.TokenRejected(logger, server);

        public void Connected(string server, bool secure, string protocol) => ManageSieveLog.Connected(logger, server, secure, protocol);
    }
}
