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
    Task<AutoResponse> RespondAsync(ParsedMail mail, string? recipient = null, CancellationToken cancellationToken = default);
}

/// <summary>What an <see cref="IAutoResponder"/> did with one message.</summary>
/// <param name="Replied">Whether a reply was sent.</param>
/// <param name="Rule">The rule that matched, when one did.</param>
/// <param name="Reason">Why no reply was sent (for example <c>sender is a mailing list</c>), when none was.</param>
/// <param name="Result">The send result of the reply.</param>
public sealed record AutoResponse(bool Replied, string? Rule, string? Reason, SendResult? Result);
