using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// SPF for the connection, DKIM for every signature, the ARC chain, then DMARC for the author domain, all through one
/// <see cref="IDnsResolver"/>. Connection facts come from the caller, else from a trusted Received header; without
/// either, a trusted Authentication-Results header is believed when there is one.
/// </summary>
internal sealed class MailAuthenticator : IMailAuthenticator
{
    private readonly MailAuthenticationOptions options;
    private readonly SpfEvaluator spf;
    private readonly DkimSignatureVerifier dkim;
    private readonly ArcChainVerifier arc;
    private readonly DmarcEvaluator dmarc;
    private readonly ILogger logger;

    public MailAuthenticator(IDnsResolver resolver, MailAuthenticationOptions options, TimeProvider time, ILogger<MailAuthenticator> logger)
    {
        this.options = options;
        var locator = new DnsDkimKeyLocator(resolver);
        spf = new SpfEvaluator(resolver, logger: logger, time: time, receivingHost: options.AuthServId);
        dkim = new DkimSignatureVerifier(locator, time, options.MaximumDkimSignatures);
        arc = new ArcChainVerifier(locator);
        dmarc = new DmarcEvaluator(resolver);
        this.logger = logger;
    }

    public async ValueTask<MailAuthenticationResults> AuthenticateAsync(MimeMessage message, MailConnectionInfo? connection = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var source = connection is null ? "received header" : "caller";
        connection ??= ReceivedHeaderFacts.Find(message, options.TrustedReceivers);
        if (connection is null && AuthenticationResultsHeader.ReadTrusted(message, options.TrustedAuthServIds, options.TrustedReceivers) is { } trusted)
        {
            Log(message, trusted, "trusted header " + trusted.AuthServId);
            return trusted;
        }

        SpfCheckResult spfResult;
        if (connection?.ClientAddress is null)
        {
            AuthenticationLog.NoConnectionFacts(logger, message.MessageId);
            spfResult = new SpfCheckResult(AuthenticationStatus.None, "mailfrom", null, "no connection facts to check");
        }
        else
        {
            spfResult = await spf.CheckAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var dkimResults = await dkim.VerifyAllAsync(message, cancellationToken).ConfigureAwait(false);
        var arcResult = options.ValidateArc
            ? await arc.VerifyAsync(message, cancellationToken).ConfigureAwait(false)
            : new ArcChainResult(AuthenticationStatus.None, 0, Reason: "not checked");
        var dmarcResult = await dmarc.EvaluateAsync(AuthorDomain(message, out var authorError), spfResult, dkimResults, cancellationToken).ConfigureAwait(false);
        if (authorError is not null)
            dmarcResult = dmarcResult with { Reason = authorError };

        var results = new MailAuthenticationResults
        {
            AuthServId = options.AuthServId,
            Spf = spfResult,
            Dkim = dkimResults,
            Arc = arcResult,
            Dmarc = dmarcResult,
            Connection = connection,
        };
        Log(message, results, source);
        return results;
    }

    /// <summary>The one domain of the From header; a message with none, or with addresses of several domains, has none (RFC 9989 section 4.4).</summary>
    internal static string? AuthorDomain(MimeMessage message, out string? error)
    {
        error = null;
        var fromHeaders = message.Headers.Count(h => h.Id == HeaderId.From);
        if (fromHeaders != 1)
        {
            error = fromHeaders == 0 ? "the message has no From header" : "the message has more than one From header";
            return null;
        }

        var domains = message.From.Mailboxes.Select(m => m.Domain?.TrimEnd('.').ToLowerInvariant()).Distinct().ToArray();
        if (domains.Length != 1 || string.IsNullOrEmpty(domains[0]))
        {
            error = domains.Length > 1 ? "the From header names more than one domain" : "the From header has no address with a domain";
            return null;
        }

        return domains[0];
    }

    private void Log(MimeMessage message, MailAuthenticationResults results, string source)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
            return;
        AuthenticationLog.Authenticated(logger, message.MessageId,
            AuthenticationResultsHeader.Lower(results.Spf.Status),
            results.Dkim.Count == 0 ? "none" : string.Join(',', results.Dkim.Select(d => AuthenticationResultsHeader.Lower(d.Status))),
            AuthenticationResultsHeader.Lower(results.Arc.Status),
            AuthenticationResultsHeader.Lower(results.Dmarc.Status),
            source);
    }
}
