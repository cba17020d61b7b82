using Mailing.Toolkit.Parsing;

namespace Mailing.Toolkit.AutoResponding;

/// <summary>
/// Answers incoming mail automatically (acknowledgements, rule-based replies, vacation notices)
/// and never takes part in a mail loop (RFC 3834).
/// </summary>
public interface IAutoResponder
{
    /// <summary>Decides whether <paramref name="mail"/> gets an automatic reply and sends it.</summary>
    /// <param name="mail">The received message.</param>
    /// <param name="recipient">The address the message was received at (envelope recipient), when known.</param>
    /// <param name="cancellationToken">Cancels the decision and the send.</param>
    /// <returns>Whether a reply was sent, or why not.</returns>
    /// <exception cref="MailDeliveryException">A rule matched but the reply could not be sent; the sender may get a reply to a later message.</exception>
    Task<AutoResponse> RespondAsync(ParsedMail mail, string? recipient = null, CancellationToken cancellationToken = default);
}

/// <summary>What an <see cref="IAutoResponder"/> did with one message.</summary>
/// <param name="Replied">Whether a reply was sent.</param>
/// <param name="Rule">The rule that matched, when one did.</param>
/// <param name="Suppression">Why no reply was sent, or <see langword="null"/> when one was.</param>
/// <param name="Reason">What gave the suppression away, in words (for example <c>Auto-Submitted: auto-replied</c>); never an address.</param>
/// <param name="Result">The send result of the reply.</param>
public sealed record AutoResponse(bool Replied, string? Rule, AutoReplySuppression? Suppression, string? Reason, SendResult? Result);

/// <summary>
/// Why an <see cref="IAutoResponder"/> sent no reply. The loop guards (<see cref="AutoSubmitted"/> to
/// <see cref="OwnAddress"/>) run before any rule and no rule can turn them off.
/// </summary>
public enum AutoReplySuppression
{
    /// <summary>No rule matched the message.</summary>
    NoRuleMatched,

    /// <summary>A rule's pattern took longer than the regex timeout; the rule was skipped and no other rule matched.</summary>
    RuleTimedOut,

    /// <summary>The message was itself sent automatically: <c>Auto-Submitted</c> other than <c>no</c>, <c>X-Auto-Response-Suppress</c>, or a parsed auto-reply.</summary>
    AutoSubmitted,

    /// <summary>The message is a bounce (delivery status notification) or a feedback report.</summary>
    Bounce,

    /// <summary>The message has the null return path <c>&lt;&gt;</c>.</summary>
    NullReturnPath,

    /// <summary>The message came through a mailing list or is bulk mail (<c>List-*</c>, <c>Precedence: bulk|list|junk</c>).</summary>
    MailingList,

    /// <summary>The sender is a system address: MAILER-DAEMON, postmaster, <c>owner-*</c>, <c>*-request</c>, noreply and similar.</summary>
    SystemSender,

    /// <summary>The reply would go to one of our own addresses.</summary>
    OwnAddress,

    /// <summary>The message has no address a reply could go to (no Return-Path and no From).</summary>
    NoReplyAddress,

    /// <summary>This sender already got a reply within the interval.</summary>
    RecentlyReplied,
}
