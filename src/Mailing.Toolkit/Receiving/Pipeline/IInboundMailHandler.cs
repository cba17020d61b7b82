using Mailing.Toolkit.Parsing;

namespace Mailing.Toolkit.Receiving;

/// <summary>
/// Handles the messages of an inbound route (<c>AddInboundProcessing(p =&gt; p.Route("support").ToRecipient("support@*").Handle&lt;SupportHandler&gt;())</c>).
/// Resolved from a new DI scope for every attempt at a message, so scoped services (a DbContext) are fresh each time.
/// </summary>
/// <remarks>
/// Delivery is at least once: a message whose acknowledgement did not get through (a crash, a lost connection) is
/// handed again. Make handlers idempotent, for example keyed by <see cref="ParsedMail.MessageId"/>. Throwing fails the
/// attempt: the message is retried and, after <see cref="InboundProcessingOptions.MaxAttempts"/>, quarantined.
/// </remarks>
public interface IInboundMailHandler
{
    /// <summary>Handles one message.</summary>
    /// <param name="mail">The message, parsed, with its raw form, mailbox and route.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout runs out; the message is then handed again later.</param>
    Task HandleAsync(InboundMail mail, CancellationToken cancellationToken);
}

/// <summary>One received message as an <see cref="IInboundMailHandler"/> sees it.</summary>
public sealed class InboundMail
{
    /// <summary>The parsed message.</summary>
    public required ParsedMail Mail { get; init; }

    /// <summary>The message as received: its id in the mailbox and its raw bytes (<see cref="ReceivedMail.OpenReadAsync"/>).</summary>
    public required ReceivedMail Received { get; init; }

    /// <summary>The name of the mailbox the pipeline read it from (<c>default</c> for the unnamed receiver).</summary>
    public required string Mailbox { get; init; }

    /// <summary>The route that matched.</summary>
    public required InboundRoute Route { get; init; }

    /// <summary>The recipient address the route matched (from Delivered-To, To, Cc or Bcc), or null when it matched on something else.</summary>
    public string? Recipient { get; init; }

    /// <summary>The attempt, 1 for the first.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>
    /// Where the message came from, by SPF, DKIM, ARC and DMARC, when <see cref="InboundProcessingOptions.Authenticate"/>
    /// is on; otherwise <see langword="null"/>.
    /// </summary>
    public Security.MailAuthenticationResults? Authentication { get; init; }

    /// <summary>The spam classifier's verdict when <see cref="InboundProcessingOptions.ClassifySpam"/> is on; otherwise <see langword="null"/>.</summary>
    public Security.SpamVerdict? Spam { get; init; }
}

/// <summary>A route of the inbound pipeline as configured: its name, handlers and disposition after success.</summary>
public sealed class InboundRoute
{
    internal InboundRoute(string name, bool isDefault, IReadOnlyList<Type> handlers, MailDisposition? disposition)
    {
        Name = name;
        IsDefault = isDefault;
        Handlers = handlers;
        Disposition = disposition;
    }

    /// <summary>The route's name, used in logs and metrics (<c>mailing.route</c>).</summary>
    public string Name { get; }

    /// <summary>Whether this is the default route, taken by messages no other route matched.</summary>
    public bool IsDefault { get; }

    /// <summary>The handler types, run in this order within one DI scope.</summary>
    public IReadOnlyList<Type> Handlers { get; }

    /// <summary>What happens to a message once every handler succeeded; null means <see cref="InboundProcessingOptions.DefaultDisposition"/>.</summary>
    public MailDisposition? Disposition { get; }
}
