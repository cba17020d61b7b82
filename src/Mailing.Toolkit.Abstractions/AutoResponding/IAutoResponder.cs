using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Security;

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

    /// <summary>
    /// Decides like <see cref="RespondAsync(ParsedMail, string?, CancellationToken)"/>, with what is known about where the
    /// message came from: no reply goes to mail that fails DMARC, fails SPF without a DKIM pass
    /// (<see cref="MailAuthenticationResults.AllowsAutomaticReply"/>), or is spam, because its sender is likely forged
    /// and the reply would be backscatter. The inbound pipeline calls this one.
    /// </summary>
    /// <param name="mail">The received message.</param>
    /// <param name="context">The recipient and the verdicts about the message.</param>
    /// <param name="cancellationToken">Cancels the decision and the send.</param>
    /// <returns>Whether a reply was sent, or why not.</returns>
    /// <exception cref="MailDeliveryException">A rule matched but the reply could not be sent.</exception>
    Task<AutoResponse> RespondAsync(ParsedMail mail, AutoReplyContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Untrusted() is { } untrusted ? Task.FromResult(untrusted) : RespondAsync(mail, context.Recipient, cancellationToken);
    }
}

/// <summary>What the receiving side knows about a message an <see cref="IAutoResponder"/> may answer.</summary>
/// <param name="Recipient">The address the message was received at (envelope recipient), when known.</param>
/// <param name="Authentication">The SPF, DKIM and DMARC results, when the message was authenticated.</param>
/// <param name="IsSpam">Whether a spam classifier judged the message spam.</param>
public sealed record AutoReplyContext(string? Recipient = null, MailAuthenticationResults? Authentication = null, bool IsSpam = false)
{
    /// <summary>The response for a message whose sender cannot be trusted with a reply, or <see langword="null"/> when it can.</summary>
    public AutoResponse? Untrusted()
    {
        if (IsSpam)
            return new AutoResponse(false, null, AutoReplySuppression.Spam, "classified as spam", null);
        if (Authentication is { AllowsAutomaticReply: false } results)
        {
            var reason = results.Dmarc.Status == AuthenticationStatus.Fail ? "DMARC fail" : "SPF fail without a DKIM pass";
            return new AutoResponse(false, null, AutoReplySuppression.Unauthenticated, reason, null);
        }

        return null;
    }
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

    /// <summary>The sender is likely forged: the message fails DMARC, or fails SPF without a DKIM pass.</summary>
    Unauthenticated,

    /// <summary>A spam classifier judged the message spam.</summary>
    Spam,
}
