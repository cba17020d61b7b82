using System.Text.RegularExpressions;
using Mailing.Toolkit.Receiving.Pipeline.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Declares the routes of the inbound pipeline. Routes are tried in the order they were added and the first that
/// matches wins; a message no route matches takes the <see cref="Default"/> route, or is unrouted when there is none.
/// </summary>
/// <example>
/// <code>
/// .AddInboundProcessing(p =&gt;
/// {
///     p.Route("support").ToRecipient("support@*").Handle&lt;SupportHandler&gt;().AutoRespond();
///     p.Route("billing").ToRecipient("+billing").MoveTo("Billing").Handle&lt;BillingHandler&gt;();
///     p.Route("tickets").WithSubject(@"^\[Ticket #\d+\]").Handle&lt;TicketHandler&gt;();
///     p.Default().Handle&lt;CatchAllHandler&gt;();
/// })
/// </code>
/// </example>
public sealed class InboundProcessingBuilder
{
    private readonly InboundRouteTable table;

    internal InboundProcessingBuilder(IServiceCollection services, InboundRouteTable table)
    {
        Services = services;
        this.table = table;
    }

    /// <summary>The service collection, to register what handlers need.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a route after the ones added before it.</summary>
    /// <param name="name">The route's name, unique, used in logs and metrics.</param>
    /// <exception cref="ArgumentException">A route with this name exists already.</exception>
    public InboundRouteBuilder Route(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        name = HeaderSafety.EnsureSingleLine(name.Trim(), "Route name", nameof(name));
        if (table.Routes.Any(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)) || table.Default?.Name == name)
            throw new ArgumentException($"An inbound route named '{name}' exists already.", nameof(name));
        var route = new InboundRouteDefinition(name, isDefault: false);
        table.Routes.Add(route);
        return new InboundRouteBuilder(Services, route);
    }

    /// <summary>
    /// Also processes the <see cref="IMailReceiver"/> registered under <paramref name="serviceKey"/>
    /// (<c>AddImapReceiver("billing", ...)</c>, <c>AddPop3Receiver("billing", ...)</c>, or any
    /// <c>services.AddKeyedSingleton&lt;IMailReceiver&gt;("billing", ...)</c>), with the same routes and options, in
    /// its own loop with its own parallelism. The key is its name in logs, metrics (<c>mailing.mailbox</c>),
    /// <see cref="InboundMail.Mailbox"/> and its own health check entry, <c>mailing.inbound.{key}</c>. The unnamed
    /// receiver, when one is registered, is processed as <c>default</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The key is <c>default</c> or was added already.</exception>
    /// <exception cref="InvalidOperationException">Called on the routes of a mailbox.</exception>
    public InboundProcessingBuilder Mailbox(string serviceKey) => AddMailbox(serviceKey, null);

    /// <summary>
    /// Also processes the <see cref="IMailReceiver"/> registered under <paramref name="serviceKey"/>, like
    /// <see cref="Mailbox(string)"/>, but with routes of its own, declared by <paramref name="routes"/>: its messages
    /// take only these routes (and this <see cref="Default"/>), never the shared ones, and the shared routes never see
    /// them. The options (<c>Mailing:Inbound</c>) are shared.
    /// </summary>
    /// <example>
    /// <code>
    /// p.Mailbox("billing", billing =&gt; billing.Default().Handle&lt;InvoiceHandler&gt;().MoveTo("Booked"));
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The key is <c>default</c> or was added already.</exception>
    /// <exception cref="InvalidOperationException">Called on the routes of a mailbox.</exception>
    public InboundProcessingBuilder Mailbox(string serviceKey, Action<InboundProcessingBuilder> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        return AddMailbox(serviceKey, routes);
    }

    private InboundProcessingBuilder AddMailbox(string serviceKey, Action<InboundProcessingBuilder>? routes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceKey);
        if (table.IsMailboxScope)
            throw new InvalidOperationException($"Mailbox(\"{serviceKey}\") cannot be declared inside the routes of another mailbox: declare every mailbox on the builder AddInboundProcessing() passes.");
        serviceKey = HeaderSafety.EnsureSingleLine(serviceKey, "Mailbox key", nameof(serviceKey));
        if (serviceKey == InboundProcessingService.DefaultMailbox || table.Mailboxes.Contains(serviceKey))
            throw new ArgumentException($"The mailbox '{serviceKey}' is processed already.", nameof(serviceKey));
        if (routes is not null)
        {
            var own = new InboundRouteTable { IsMailboxScope = true };
            routes(new InboundProcessingBuilder(Services, own));
            table.MailboxRoutes.Add(serviceKey, own);
        }

        table.Mailboxes.Add(serviceKey);
        InboundHealthCheck.AddFor(Services, serviceKey);
        return this;
    }

    /// <summary>The route of messages that no other route matched (conditions set on it are ignored). Calling it again returns the same route.</summary>
    public InboundRouteBuilder Default()
    {
        table.Default ??= new InboundRouteDefinition("default", isDefault: true);
        return new InboundRouteBuilder(Services, table.Default);
    }
}

/// <summary>
/// Sets the conditions, handlers and disposition of one route. Conditions of different kinds must all hold; the
/// recipient patterns of one route are alternatives.
/// </summary>
public sealed class InboundRouteBuilder
{
    private readonly IServiceCollection services;
    private readonly InboundRouteDefinition route;

    internal InboundRouteBuilder(IServiceCollection services, InboundRouteDefinition route)
    {
        this.services = services;
        this.route = route;
    }

    /// <summary>
    /// Matches when a recipient (envelope Delivered-To, To, Cc or Bcc) matches one of <paramref name="patterns"/>:
    /// <c>*</c> and <c>?</c> wildcards, case-insensitive (<c>support@*</c>); a pattern without a <c>+tag</c> also matches
    /// tagged forms of the address (<c>support+urgent@example.com</c>); <c>+billing</c> alone matches any address
    /// tagged <c>billing</c>.
    /// </summary>
    public InboundRouteBuilder ToRecipient(params string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var pattern in patterns)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(pattern, nameof(patterns));
            route.Recipients.Add(pattern.Trim());
        }

        return this;
    }

    /// <summary>Matches when the decoded subject matches the regular expression (case-insensitive, limited by <see cref="InboundProcessingOptions.RegexTimeout"/>).</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public InboundRouteBuilder WithSubject(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        _ = new Regex(pattern, InboundRouter.PatternOptions); // throws now, not at the first message
        route.Subject = pattern;
        return this;
    }

    /// <summary>Matches when a header field named <paramref name="name"/> is present and, when <paramref name="pattern"/> is given, its value matches it (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public InboundRouteBuilder WithHeader(string name, string? pattern = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (pattern is not null)
            _ = new Regex(pattern, InboundRouter.PatternOptions);
        route.Headers.Add((name.Trim(), pattern));
        return this;
    }

    /// <summary>
    /// Matches when the message was authenticated (<see cref="InboundProcessingOptions.Authenticate"/>) and
    /// <paramref name="predicate"/> holds for the results; for example, with no handler, file forged mail away:
    /// <c>p.Route("forged").WithAuthentication(a =&gt; a.Dmarc.Disposition == DmarcPolicy.Reject).MoveTo("Junk")</c>.
    /// A predicate that throws does not match.
    /// </summary>
    public InboundRouteBuilder WithAuthentication(Func<Security.MailAuthenticationResults, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        route.Authentication = predicate;
        return this;
    }

    /// <summary>
    /// Matches when the message was classified (<see cref="InboundProcessingOptions.ClassifySpam"/>) and
    /// <paramref name="predicate"/> holds for the verdict; for example <c>p.Route("spam").WithSpamVerdict(v =&gt; v.IsSpam).MoveTo("Junk")</c>.
    /// A predicate that throws does not match.
    /// </summary>
    public InboundRouteBuilder WithSpamVerdict(Func<Security.SpamVerdict, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        route.Spam = predicate;
        return this;
    }

    /// <summary>Handles the route's messages with <typeparamref name="THandler"/>, resolved from a scope per attempt; registered as scoped unless registered already.</summary>
    public InboundRouteBuilder Handle<THandler>()
        where THandler : class, IInboundMailHandler
    {
        services.TryAddScoped<THandler>();
        route.Handlers.Add(typeof(THandler));
        return this;
    }

    /// <summary>
    /// Passes the route's messages to the <see cref="AutoResponding.IAutoResponder"/> (after the handlers added before
    /// this call), with the matched recipient. Needs <c>AddAutoResponder()</c>. An auto-reply that cannot be sent fails
    /// the attempt like a throwing handler.
    /// </summary>
    public InboundRouteBuilder AutoRespond()
    {
        services.TryAddScoped<AutoRespondHandler>();
        route.Handlers.Add(typeof(AutoRespondHandler));
        return this;
    }

    /// <summary>After success, marks the message seen and leaves it where it is.</summary>
    public InboundRouteBuilder MarkSeen() => Then(MailDisposition.MarkSeen);

    /// <summary>After success, moves the message to <paramref name="folder"/> (created when missing).</summary>
    public InboundRouteBuilder MoveTo(string folder) => Then(MailDisposition.MoveTo(folder));

    /// <summary>After success, deletes the message.</summary>
    public InboundRouteBuilder Delete() => Then(MailDisposition.Delete);

    /// <summary>After success, applies <paramref name="disposition"/>.</summary>
    public InboundRouteBuilder Then(MailDisposition disposition)
    {
        ArgumentNullException.ThrowIfNull(disposition);
        route.Disposition = disposition;
        return this;
    }
}
