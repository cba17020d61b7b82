using System.Text.RegularExpressions;
using Mailing.Toolkit.Addressing.Internal;
using Mailing.Toolkit.Parsing;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>The routes declared by every <c>AddInboundProcessing</c> call, in order; one instance per container.</summary>
internal sealed class InboundRouteTable
{
    public List<InboundRouteDefinition> Routes { get; } = [];

    public InboundRouteDefinition? Default { get; set; }

    /// <summary>The service keys of the keyed receivers processed besides the unnamed one.</summary>
    public List<string> Mailboxes { get; } = [];

    /// <summary>The mailboxes that have routes of their own (<c>Mailbox(key, routes)</c>); the others take these routes.</summary>
    public Dictionary<string, InboundRouteTable> MailboxRoutes { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether this table holds the routes of one mailbox, in which <c>Mailbox()</c> cannot be called again.</summary>
    public bool IsMailboxScope { get; init; }
}

/// <summary>A route as the builder collects it.</summary>
internal sealed class InboundRouteDefinition(string name, bool isDefault)
{
    public string Name { get; } = name;

    public bool IsDefault { get; } = isDefault;

    public List<string> Recipients { get; } = [];

    public string? Subject { get; set; }

    public List<(string Name, string? Pattern)> Headers { get; } = [];

    public List<Type> Handlers { get; } = [];

    public MailDisposition? Disposition { get; set; }

    public Func<Security.MailAuthenticationResults, bool>? Authentication { get; set; }

    public Func<Security.SpamVerdict, bool>? Spam { get; set; }
}

/// <summary>A route that matched a message, with the recipient it matched on.</summary>
internal readonly record struct RouteMatch(InboundRoute Route, MailDisposition Disposition, string? Recipient);

/// <summary>Matches parsed messages against the routes, first match wins, then the default route.</summary>
internal sealed class InboundRouter
{
    public const RegexOptions PatternOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    private readonly CompiledRoute[] routes;
    private readonly CompiledRoute? fallback;
    private readonly ILogger logger;

    /// <exception cref="InvalidOperationException">A route has no handler.</exception>
    public InboundRouter(InboundRouteTable table, InboundProcessingOptions options, ILogger logger)
    {
        this.logger = logger;
        if (!options.Authenticate && table.Routes.FirstOrDefault(r => r.Authentication is not null) is { } needsResults)
            throw new InvalidOperationException($"The inbound route '{needsResults.Name}' uses WithAuthentication(), but Mailing:Inbound:Authenticate is off: turn it on (and call AddMailAuthentication()).");
        if (!options.ClassifySpam && table.Routes.FirstOrDefault(r => r.Spam is not null) is { } needsVerdict)
            throw new InvalidOperationException($"The inbound route '{needsVerdict.Name}' uses WithSpamVerdict(), but Mailing:Inbound:ClassifySpam is off: turn it on (and call AddRspamd() or AddSpamAssassin()).");
        var disposition = options.EffectiveDefaultDisposition;
        routes = table.Routes.Select(r => new CompiledRoute(r, disposition, options.RegexTimeout)).ToArray();
        fallback = table.Default is { } d ? new CompiledRoute(d, disposition, options.RegexTimeout) : null;
    }

    public IEnumerable<InboundRoute> Routes => routes.Select(r => r.Route).Concat(fallback is null ? [] : [fallback.Route]);

    public RouteMatch? Match(ParsedMail mail, Security.MailAuthenticationResults? authentication, Security.SpamVerdict? spam, string id)
    {
        var recipients = mail.DeliveredTo
            .Concat(mail.To.Concat(mail.Cc).Concat(mail.Bcc).Select(a => a.Address))
            .Where(a => !string.IsNullOrWhiteSpace(a))
            .ToArray();
        foreach (var route in routes)
        {
            try
            {
                if (route.TryMatch(mail, authentication, spam, recipients, out var recipient))
                    return new RouteMatch(route.Route, route.Disposition, recipient);
            }
            catch (RegexMatchTimeoutException)
            {
                PipelineLog.RouteTimedOut(logger, route.Route.Name, id);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A user predicate (WithAuthentication) that throws does not match; the next route may.
                PipelineLog.RoutePredicateFailed(logger, ex, route.Route.Name, id);
            }
        }

        return fallback is null ? null : new RouteMatch(fallback.Route, fallback.Disposition, null);
    }

    private sealed class CompiledRoute
    {
        private readonly AddressPattern[] recipients;
        private readonly Regex? subject;
        private readonly (string Name, Regex? Pattern)[] headers;
        private readonly Func<Security.MailAuthenticationResults, bool>? authentication;
        private readonly Func<Security.SpamVerdict, bool>? spamVerdict;

        public CompiledRoute(InboundRouteDefinition definition, MailDisposition defaultDisposition, TimeSpan timeout)
        {
            // A route without handlers only files messages, so it must say where.
            if (definition.Handlers.Count == 0 && definition.Disposition is null)
                throw new InvalidOperationException($"The inbound route '{definition.Name}' has no handler and no disposition: call Handle<THandler>() or AutoRespond() on it, or MoveTo(folder)/Delete() to only file its messages.");
            authentication = definition.Authentication;
            spamVerdict = definition.Spam;
            Route = new InboundRoute(definition.Name, definition.IsDefault, definition.Handlers.ToArray(), definition.Disposition);
            Disposition = definition.Disposition ?? defaultDisposition;
            recipients = definition.Recipients.Select(p => new AddressPattern(p.StartsWith('+') ? "*" + p + "@*" : p)).ToArray();
            subject = definition.Subject is { } s ? new Regex(s, PatternOptions, timeout) : null;
            headers = definition.Headers.Select(h => (h.Name, h.Pattern is { } p ? new Regex(p, PatternOptions, timeout) : null)).ToArray();
        }

        public InboundRoute Route { get; }

        public MailDisposition Disposition { get; }

        public bool TryMatch(ParsedMail mail, Security.MailAuthenticationResults? results, Security.SpamVerdict? spam, string[] candidates, out string? recipient)
        {
            recipient = null;
            if (authentication is not null && (results is null || !authentication(results)))
                return false;
            if (spamVerdict is not null && (spam is null || !spamVerdict(spam)))
                return false;
            if (recipients.Length > 0)
            {
                recipient = candidates.FirstOrDefault(c => recipients.Any(p => p.IsMatch(c)));
                if (recipient is null)
                    return false;
            }

            if (subject is not null && !subject.IsMatch(mail.Subject ?? string.Empty))
                return false;
            foreach (var (name, pattern) in headers)
            {
                if (!mail.Headers.Any(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && (pattern is null || pattern.IsMatch(h.Value))))
                    return false;
            }

            return true;
        }
    }
}
