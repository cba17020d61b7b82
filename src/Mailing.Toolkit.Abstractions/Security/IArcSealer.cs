using MimeKit;

namespace Mailing.Toolkit.Security;

/// <summary>
/// Adds an ARC set (RFC 8617: ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal) to a message this host
/// forwards, so the next receiver can see what this host found when the message arrived, even after forwarding broke
/// the original SPF and DKIM results. Registered by <c>AddArcSealing()</c>.
/// </summary>
/// <remarks>
/// A handler that re-sends inbound mail calls <see cref="Seal"/> with the results the pipeline computed
/// (<c>InboundMail.Authentication</c>) just before it sends: every change made to the message after sealing (a footer,
/// a changed Subject) breaks the ARC-Message-Signature. DKIM signing of the outgoing message afterwards is fine.
/// </remarks>
public interface IArcSealer
{
    /// <summary>
    /// Seals <paramref name="message"/> with the next ARC instance. The chain validation status (<c>cv=</c>) comes from
    /// <see cref="MailAuthenticationResults.Arc"/>: <c>none</c> when the message has no ARC set yet, <c>pass</c> or
    /// <c>fail</c> otherwise. A message whose newest ARC-Seal already says <c>cv=fail</c>, or that already has the
    /// maximum of 50 sets, is left as it is and the result says why.
    /// </summary>
    /// <param name="message">
    /// The message to forward, as it will be sent. Before a set is added it is prepared for a 7-bit transport (8-bit
    /// parts re-encoded), as a transport would do, so the sealed bytes are the sent bytes.
    /// </param>
    /// <param name="results">What this host found when the message arrived, from <see cref="IMailAuthenticator"/>.</param>
    /// <param name="sealingDomain">The domain of the configured key to seal with; <see langword="null"/> for the first key.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="results"/> do not fit the message (they say the chain is absent, or could not be checked, while
    /// the message carries ARC sets: authenticate the message as it is), or no key is configured for <paramref name="sealingDomain"/>.
    /// </exception>
    ArcSealResult Seal(MimeMessage message, MailAuthenticationResults results, string? sealingDomain = null);
}

/// <summary>What <see cref="IArcSealer.Seal"/> did.</summary>
/// <param name="Sealed">Whether an ARC set was added.</param>
/// <param name="Instance">The instance (<c>i=</c>) of the set added, or the number of sets the message has when none was added.</param>
/// <param name="ChainValidation">The <c>cv=</c> written: <see cref="AuthenticationStatus.None"/>, <see cref="AuthenticationStatus.Pass"/> or <see cref="AuthenticationStatus.Fail"/>.</param>
/// <param name="Reason">Why no set was added, when <paramref name="Sealed"/> is <see langword="false"/>.</param>
public sealed record ArcSealResult(bool Sealed, int Instance, AuthenticationStatus ChainValidation, string? Reason = null);
