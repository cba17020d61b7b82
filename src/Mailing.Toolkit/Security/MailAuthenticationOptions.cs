namespace Mailing.Toolkit.Security;

/// <summary>How <see cref="IMailAuthenticator"/> checks incoming mail (<c>Mailing:Authentication</c>).</summary>
public sealed class MailAuthenticationOptions
{
    /// <summary>
    /// The authserv-id this host writes in <c>Authentication-Results</c> (RFC 8601): usually the receiving host's name.
    /// Defaults to the machine's host name.
    /// </summary>
    public string AuthServId { get; set; } = System.Net.Dns.GetHostName();

    /// <summary>
    /// The authserv-ids whose <c>Authentication-Results</c> headers are believed: typically the MTA that delivered into
    /// the mailbox this application reads (Postfix with OpenDKIM/OpenDMARC, rspamd, Exchange Online). When a message
    /// carries such a header and no connection facts are known, its results are used instead of checking again.
    /// Headers of any other authserv-id are ignored: anyone can write one. A sender can also write one with a trusted id,
    /// so only headers above the first <c>Received</c> header of a hop from outside the site are read (see
    /// <see cref="AuthenticationResultsHeader.ReadTrusted"/>).
    /// </summary>
    public IList<string> TrustedAuthServIds { get; } = [];

    /// <summary>
    /// The host names (the <c>by</c> part of <c>Received</c>) of the MTAs that received mail from the internet for this
    /// application. The connection facts (client IP, HELO, envelope sender from <c>Return-Path</c>) are read from the
    /// newest <c>Received</c> header such a host added for a client outside this list. Empty: facts come only from
    /// the caller.
    /// </summary>
    public IList<string> TrustedReceivers { get; } = [];

    /// <summary>How many DKIM signatures of one message are checked; past it the rest give permerror. Default 10.</summary>
    public int MaximumDkimSignatures { get; set; } = 10;

    /// <summary>Whether the ARC chain is validated. Default true.</summary>
    public bool ValidateArc { get; set; } = true;
}
