using System.Net;

namespace Mailing.Toolkit.Security;

/// <summary>The result of one authentication method, with the values of RFC 8601 (written in lower case there).</summary>
public enum AuthenticationStatus
{
    /// <summary>Nothing to check: no record, no signature, no chain.</summary>
    None,

    /// <summary>The check succeeded.</summary>
    Pass,

    /// <summary>The check failed: the domain says this is not its mail, or a signature does not verify.</summary>
    Fail,

    /// <summary>SPF only: the domain says the host is probably not allowed (<c>~all</c>).</summary>
    SoftFail,

    /// <summary>The domain makes no assertion (SPF <c>?all</c>), or a signature could not be checked for a reason that is not an error.</summary>
    Neutral,

    /// <summary>The check passed but a local policy does not accept it (for example a signature that leaves content unsigned).</summary>
    Policy,

    /// <summary>A temporary failure, usually DNS; trying later may give another result.</summary>
    TempError,

    /// <summary>A permanent error: a malformed record or signature, or a limit exceeded.</summary>
    PermError,
}

/// <summary>Facts about the SMTP connection a message arrived on, which SPF and DMARC need.</summary>
/// <param name="ClientAddress">The IP address of the client that handed the message to the first trusted host.</param>
/// <param name="HeloName">The name the client gave in HELO or EHLO.</param>
/// <param name="EnvelopeFrom">The MAIL FROM address; empty for the null reverse path (a bounce).</param>
public sealed record MailConnectionInfo(IPAddress? ClientAddress, string? HeloName, string? EnvelopeFrom);

/// <summary>The SPF check_host() result for one identity (RFC 7208).</summary>
/// <param name="Status">The result.</param>
/// <param name="Identity"><c>mailfrom</c> or <c>helo</c>: which identity was checked.</param>
/// <param name="Domain">The domain whose record was evaluated, or <see langword="null"/> when there was none to check.</param>
/// <param name="Explanation">The domain's explanation (the <c>exp=</c> modifier) for a fail, or our own reason text.</param>
/// <param name="Mechanism">The mechanism that matched (<c>ip4:192.0.2.0/24</c>, <c>-all</c>), when one did.</param>
public sealed record SpfCheckResult(AuthenticationStatus Status, string Identity, string? Domain, string? Explanation = null, string? Mechanism = null);

/// <summary>The verification result of one DKIM-Signature header field (RFC 6376).</summary>
/// <param name="Status">The result.</param>
/// <param name="Domain">The signing domain (<c>d=</c>).</param>
/// <param name="Selector">The selector (<c>s=</c>).</param>
/// <param name="Algorithm">The algorithm (<c>a=</c>), for example <c>rsa-sha256</c> or <c>ed25519-sha256</c>.</param>
/// <param name="Reason">Why it did not pass (or why a pass carries a caveat), for logs and the Authentication-Results header.</param>
/// <param name="UnsignedContent">Whether the signature has <c>l=</c> and the body holds more than it covers: content was added that nobody signed. Such a pass does not count for DMARC.</param>
/// <param name="SignatureTag">The first characters of <c>b=</c>, which tell two signatures of one domain apart (RFC 6008).</param>
public sealed record DkimSignatureResult(
    AuthenticationStatus Status,
    string? Domain,
    string? Selector,
    string? Algorithm,
    string? Reason = null,
    bool UnsignedContent = false,
    string? SignatureTag = null);

/// <summary>The ARC chain validation result (RFC 8617).</summary>
/// <param name="Status"><see cref="AuthenticationStatus.None"/>, <see cref="AuthenticationStatus.Pass"/> or <see cref="AuthenticationStatus.Fail"/>.</param>
/// <param name="Instances">How many ARC sets the message carries.</param>
/// <param name="FailedInstance">The instance (<c>i=</c>) that failed, when the chain failed at one.</param>
/// <param name="Reason">Why the chain failed.</param>
public sealed record ArcChainResult(AuthenticationStatus Status, int Instances, int? FailedInstance = null, string? Reason = null);

/// <summary>A DMARC policy or disposition.</summary>
public enum DmarcPolicy
{
    /// <summary>Deliver as usual.</summary>
    None,

    /// <summary>Treat as suspicious: a spam folder, a closer look.</summary>
    Quarantine,

    /// <summary>Refuse the message.</summary>
    Reject,
}

/// <summary>The DMARC evaluation of the RFC 5322.From domain (RFC 9989, DMARCbis).</summary>
/// <param name="Status"><see cref="AuthenticationStatus.Pass"/> when an aligned SPF or DKIM pass exists,
/// <see cref="AuthenticationStatus.Fail"/> when none does, <see cref="AuthenticationStatus.None"/> without a policy record,
/// <see cref="AuthenticationStatus.TempError"/> when DNS failed, <see cref="AuthenticationStatus.PermError"/> when the From domain cannot be determined.</param>
/// <param name="Domain">The author domain (the From header's domain).</param>
/// <param name="PolicyDomain">The domain whose <c>_dmarc</c> record applied, found by the DNS tree walk.</param>
/// <param name="OrganizationalDomain">The organizational domain the tree walk determined, used for relaxed alignment; <see langword="null"/> when DNS failed before it was known.</param>
/// <param name="Policy">The policy that applies to the author domain (<c>p</c>, <c>sp</c> or <c>np</c>), when a record was found.</param>
/// <param name="Disposition">What the policy asks the receiver to do with this message: <see cref="DmarcPolicy.None"/> on a pass
/// and in test mode (<c>t=y</c>), else the policy.</param>
/// <param name="Testing">Whether the record is in test mode (<c>t=y</c>).</param>
/// <param name="SpfAligned">Whether an SPF pass was for a domain aligned with the author domain.</param>
/// <param name="DkimAligned">Whether a DKIM pass was for a domain aligned with the author domain.</param>
/// <param name="Reason">A short explanation.</param>
public sealed record DmarcResult(
    AuthenticationStatus Status,
    string? Domain,
    string? PolicyDomain = null,
    string? OrganizationalDomain = null,
    DmarcPolicy? Policy = null,
    DmarcPolicy Disposition = DmarcPolicy.None,
    bool Testing = false,
    bool SpfAligned = false,
    bool DkimAligned = false,
    string? Reason = null);

/// <summary>What an <see cref="IMailAuthenticator"/> found out about a message: SPF, DKIM, ARC and DMARC.</summary>
public sealed class MailAuthenticationResults
{
    /// <summary>The authserv-id of the host that made the checks (RFC 8601), named in the header it writes.</summary>
    public required string AuthServId { get; init; }

    /// <summary>The SPF result for the MAIL FROM identity (or the HELO identity when MAIL FROM was null).</summary>
    public required SpfCheckResult Spf { get; init; }

    /// <summary>One result per DKIM-Signature header field, in the order they appear.</summary>
    public IReadOnlyList<DkimSignatureResult> Dkim { get; init; } = [];

    /// <summary>The ARC chain result.</summary>
    public required ArcChainResult Arc { get; init; }

    /// <summary>The DMARC result.</summary>
    public required DmarcResult Dmarc { get; init; }

    /// <summary>
    /// Whether these results were read from an <c>Authentication-Results</c> header of a trusted authserv-id rather than
    /// computed here.
    /// </summary>
    public bool FromTrustedHeader { get; init; }

    /// <summary>
    /// The connection facts the checks used: those the caller gave, else those read from the Received header of a
    /// trusted hop; <see langword="null"/> when there were none (or the results came from a trusted header).
    /// </summary>
    public MailConnectionInfo? Connection { get; init; }

    /// <summary>
    /// Whether an automatic answer to the sender is safe: not when DMARC fails, nor when SPF fails and no DKIM signature
    /// passes. Answering forged mail sends backscatter to whoever the forger named.
    /// </summary>
    public bool AllowsAutomaticReply =>
        Dmarc.Status != AuthenticationStatus.Fail
        && !(Spf.Status == AuthenticationStatus.Fail && !Dkim.Any(d => d.Status == AuthenticationStatus.Pass));
}

/// <summary>
/// Checks where a message came from: SPF for the connection, every DKIM signature, the ARC chain, and DMARC for the
/// From domain. Register with <c>AddMailAuthentication()</c>.
/// </summary>
public interface IMailAuthenticator
{
    /// <summary>Authenticates one message. DNS problems give <c>temperror</c> results, never an exception.</summary>
    /// <param name="message">The message as received.</param>
    /// <param name="connection">The connection facts, when the caller knows them (a relay or an ESP webhook does);
    /// otherwise they are read from the Received header added by a configured trusted hop, and without one SPF is
    /// <see cref="AuthenticationStatus.None"/>.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    ValueTask<MailAuthenticationResults> AuthenticateAsync(MimeKit.MimeMessage message, MailConnectionInfo? connection = null, CancellationToken cancellationToken = default);
}
