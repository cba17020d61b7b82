namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>
/// Names why a recipient bounced, in sisimai's vocabulary (userunknown, mailboxfull, expired, ...), from the
/// diagnostic text and the enhanced status code (RFC 3463), and decides whether the bounce is hard.
/// </summary>
/// <remarks>
/// A status code that names one cause (<c>5.1.1</c>, <c>5.2.2</c>, <c>5.7.26</c>) decides; otherwise the
/// diagnostic text does, through phrase tables checked in order so that specific causes (a blocklisted IP, an
/// authentication failure) come before broad ones (rejected, filtered); codes of a broad class and generic
/// refusal words come last.
/// </remarks>
internal static class BounceReasons
{
    public const string Undefined = "undefined";
    public const string Delivered = "delivered";
    public const string Expired = "expired";
    public const string MailerError = "mailererror";

    // DNS blocklists and the words for them: a refusal that names one is "blocked" whatever the status code says.
    private static readonly string[] Blocklists =
        ["spamhaus", "spamcop", "sorbs", "dnsbl", "blocklist", "block list", "blacklist", "black list", "rbl ", "rbl:", "barracudacentral"];

    // Phrases that name one cause, most specific first: "not listed in Domino Directory" is an unknown user,
    // "listed in Spamhaus" a blocked sender, so "listed" alone is in neither.
    private static readonly (string Reason, string[] Phrases)[] SpecificPhrases =
    [
        ("mailererror", ["mailer error", "command died", "unknown mailer"]),
        ("hasmoved", ["has moved", "has been moved", "address has changed", "mailbox moved", "no longer at this address"]),
        ("notcompliantrfc", ["rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "not rfc compliant", "not rfc-compliant", "duplicate header",
            "multiple addresses in from", "multiple from", "headers are not compliant"]),
        ("mesgtoobig", ["message too large", "message too big", "message size exceeds", "message is too large", "message is too big",
            "message file too big", "exceeds the maximum message size", "maximum message size", "size of message exceeds",
            "message length exceeds", "message size limit", "exceeds size limit", "message exceeds the size"]),
        ("mailboxfull", ["mailbox full", "mailbox is full", "mailbox size limit", "over quota", "overquota", "quota exceeded",
            "exceeded storage allocation", "exceeds storage", "is over the quota", "disk quota", "mailbox has exceeded", "inbox is full",
            "account is full", "full mailbox", "mail box full", "mailfolder is full", "exceeded its quota", "over its quota",
            "out of storage", "insufficient storage", "user is over", "storage limit", "quota full", "quota limit",
            "would exceed the quota", "mailbox_full", "mailbox exceeded", "mailbox is over", "exceeded the local limit"]),
        ("virusdetected", ["virus", "malware", "infected"]),
        ("policyviolation", ["content presents a potential security issue", "violates our policy", "policy violation",
            "not accepting attachments", "policy reasons", "policy reason", "attachment is not allowed", "prohibited attachment"]),
        ("spamdetected", ["spam classification", "classified as spam", "detected as spam", "considered spam", "looks like spam",
            "spam detected", "spam message", "message is spam", "spam score", "likely spam", "spam content", "scored as spam",
            "ube,", "ube.", "ube)", "unsolicited bulk"]),
        ("authfailure", ["dmarc", "spf check", "spf fail", "sender policy framework", "dkim", "not pass authentication",
            "failed authentication checks", "sender authentication", "authentication checks", "unauthenticated email",
            "spf record", "spf validation"]),
        ("requireptr", ["reverse dns", "reverse hostname", "reverse lookup", "ptr record", "no ptr", "rdns", "reverse-dns",
            "cannot find your hostname", "cannot resolve your address", "unresolvable", "no reverse", "ip name lookup failed",
            "unverifyable sending ip", "unverifiable sending ip"]),
        ("norelaying", ["relay access denied", "relaying denied", "relay not permitted", "not permitted to relay", "unable to relay",
            "relaying not allowed", "we do not relay", "no relaying", "relay denied", "not allowed to relay", "relaying is prohibited"]),
        ("failedstarttls", ["starttls", "tls negotiation", "tls handshake", "tls is required", "tls required", "support tls"]),
        ("securityerror", ["authentication required", "authentication is required", "smtp auth", "smtp authentication",
            "authentication failed", "not authenticated", "encryption required", "certificate", "sender is not authorized",
            "unauthenticated", "delivery not authorized", "email address is not verified", "address is not verified", "security policy"]),
        ("badreputation", ["reputation", "user complaints"]),
        ("toomanyconn", ["too many connections", "too many concurrent", "connection limit", "too many smtp sessions",
            "too many simultaneous", "connection rate", "throttl", "sending rate", "rate limit", "too many messages",
            "frequency limited", "too many recipients"]),
        ("blocked", [.. Blocklists,
            "is listed", "listed at", "listed on", "client host rejected", "my name was rejected", "your ip", "ip address is",
            "blocked ip", "banned", "open relay", "dynamic ip", "dial-up", "dialup", "not allowed to send mail", "poor reputation",
            "refused to talk", "smtp server of your isp", "blocked using", "client host blocked", "host blocked for", "ip source",
            "source ip"]),
        ("spamdetected", ["spam", "junk mail", "bulk mail", "bulk email", "unsolicited", "classified as junk"]),
        ("suspend", ["mailbox disabled", "account disabled", "account has been disabled", "is disabled", "suspended", "inactive",
            "deactivated", "not active", "account expired", "temporarily disabled", "is locked", "temporary locked",
            "temporarily locked", "account locked", "frozen", "disabled", "account is blocked", "account has been blocked"]),
        ("rejected", ["sender address rejected", "sender rejected", "sender verify", "sender domain", "domain of sender",
            "envelope sender", "not permitted to post", "permission to post", "投稿する権限",
            // Google Groups refusing a post (non-member, closed or missing group), in whatever language.
            "groups.google.com/support"]),
        ("networkerror", ["host not found, try again", "mail loop", "hop count", "too many hops", "routing loop", "loop detected"]),
        ("hostunknown", ["host unknown", "unknown host", "host not found", "domain not found", "no such domain", "unknown domain",
            "domain does not exist", "host or domain name not found", "name service error", "name or service not known",
            "unrouteable mail domain", "domain name not found", "nxdomain", "host name lookup failure", "no mx", "mx record",
            "bad destination system", "domain is not valid", "unroutable", "dns lookup failure"]),
        ("userunknown", ["user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "no such address",
            "mailbox not found", "mailbox unavailable", "recipient not found", "recipientnotfound", "recipnotfound", "user not found",
            "does not exist", "doesn't exist", "not exist", "no mailbox", "invalid recipient", "invalid mailbox", "invalid address",
            "unknown recipient", "recipient unknown", "unknown address", "address unknown", "not a valid mailbox",
            "is not a known user", "not listed in", "user not listed", "address not found", "not recognized", "bad destination mailbox",
            "addressee unknown", "unknown local part", "no such person", "user doesn't", "user does not", "not our customer",
            "invalid user", "unknown or illegal alias", "no account", "mailbox is not available", "destination mailbox",
            "unrouteable address", "no valid recipients", "recipient address rejected", "wasnt found", "wasn't found",
            "was not found"]),
        ("notaccept", ["does not accept mail", "not accepting mail", "null mx", "does not accept e-mail", "does not accept email",
            "accepts no mail"]),
        ("syntaxerror", ["syntax error", "malformed", "command unrecognized", "unrecognized command", "bad sequence of commands",
            "syntax"]),
        ("contenterror", ["content rejected", "invalid content", "header too long", "improper use of 8-bit", "8-bit data",
            "illegal characters", "message content", "mime-version", "mime header"]),
        ("expired", ["expired", "did not accept our requests to connect", "retry timeout", "time limit", "too long in queue", "queue lifetime", "could not be delivered within",
            "was not delivered within", "giving up on it", "retry time", "unable to deliver in", "has not been delivered for",
            "cannot send message for", "could not send message for", "timed out", "delivery time"]),
        ("networkerror", ["connection timed out", "no route to host", "network is unreachable", "could not connect", "couldn't connect",
            "unable to connect", "connection reset", "lost connection", "no answer", "network error", "dns error",
            "temporary failure", "timeout", "connection closed", "connection dropped"]),
        ("systemfull", ["insufficient system storage", "system full", "disk full", "out of disk"]),
        ("systemerror", ["system error", "internal error", "server error", "local error", "local problem", "system problem",
            "configuration error", "system config", "service unavailable", "temporarily unavailable", "try again later"]),
        ("mailererror", ["procmail", "mailer error", "command died", "unknown mailer", "pipe to |", "exit status"]),
        ("filtered", ["filtered", "content filter", "refuse to receive", "not accepted by"]),
    ];

    // Words that say the message was refused without saying why; used after the status code.
    private static readonly (string Reason, string[] Phrases)[] GenericPhrases =
    [
        ("blocked", ["blocked", "access denied", "connection refused", "denied by"]),
        ("policyviolation", ["policy", "prohibited", "not allowed", "violat"]),
        ("rejected", ["rejected", "refused", "denied"]),
        ("mailererror", ["mailer"]),
        ("expired", ["attempts", "retries"]),
    ];

    // SMTP stages before the recipient is named: a refusal there is aimed at the sending host.
    private static readonly string[] ConnectionStages =
        ["after initial connection", "after ehlo", "after helo", "in reply to ehlo", "in reply to helo", "smtp greeting", "banner"];

    /// <summary>
    /// The reason for one recipient: <c>delivered</c> for successful actions; otherwise a status code that names
    /// one cause; a refusal at connection or EHLO time is <c>blocked</c>; else the first specific phrase in
    /// <paramref name="texts"/> (most specific text first); <c>expired</c> for a delay; a status code of a broad
    /// class; a generic refusal phrase; <c>undefined</c>.
    /// </summary>
    /// <param name="action">The DSN action.</param>
    /// <param name="status">The enhanced status code.</param>
    /// <param name="filteringGateway">Whether a content-filtering gateway wrote the bounce.</param>
    /// <param name="texts">The diagnostic, the recipient's lines of the notice, the whole notice.</param>
    public static string Classify(string? action, string? status, bool filteringGateway, params ReadOnlySpan<Evidence> texts)
    {
        if (IsSuccess(action))
            return Delivered;

        Evidence? first = null;
        var rcptStage = false;
        var connectionStage = false;
        var senderStage = false;
        foreach (var text in texts)
        {
            first ??= text.Specific is null ? null : text;
            rcptStage |= text.RcptStage;
            connectionStage |= text.ConnectionStage;
            senderStage |= text.SenderStage;
        }

        // Spam or a virus named in the text outranks a code of the content or security class (5.6.x, 5.7.x); a
        // blocklist named in the text outranks any code (GoDaddy answers "553 5.1.3" with a Spamhaus link).
        if (first?.Specific is "spamdetected" or "virusdetected" && status is { Length: > 2 } && status[2] is '6' or '7')
            return first.Specific;
        if (first?.Specific == "blocked" && first.NamesBlocklist)
            return "blocked";
        if (FromStatus(status, specificOnly: true) is { } byStatus)
        {
            // "User unknown" said in answer to RCPT TO means the address does not exist, whatever the code says.
            return rcptStage && first?.Specific == "userunknown" ? "userunknown" : byStatus;
        }
        if (connectionStage)
            return "blocked";
        // Refused in answer to MAIL FROM, before any recipient: the sender was rejected, whatever the words
        // ("domain not found" is the sender's domain), unless they name a cause of their own.
        if (senderStage && !rcptStage && first?.Specific is null or "hostunknown" or "userunknown" or "filtered")
            return "rejected";
        if (first is not null)
            return first.Specific == "userunknown" && first.DomainMissing ? "hostunknown" : Refine(first.Specific!, status, first.DataStage, filteringGateway);
        if (string.Equals(action, "delayed", StringComparison.OrdinalIgnoreCase))
            return Expired;
        if (FromStatus(status, specificOnly: false) is { } byClass)
            return byClass;
        foreach (var text in texts)
        {
            if (text.Generic is { } reason)
                return reason;
        }
        return Undefined;
    }

    private static readonly string[] RcptStages = ["in reply to rcpt to", "after rcpt to"];

    private static readonly string[] SenderStages = ["in reply to mail from", "after mail from"];


    // Where the SMTP transcript shows the refusal came in answer to the message data.
    private static readonly string[] DataStages = ["after end of data", "after data", "end of data command", "in reply to data", "smtp command data"];

    // "Unknown user" in answer to the message data, with a mailbox-status code (x.2.x), or from a filtering
    // gateway comes from a recipient-side filter: the address itself was accepted at RCPT TO. A DNS failure
    // reported as temporary (4.x.x, "try again") is a network problem, not proof that the domain does not exist.
    private static string Refine(string reason, string? status, bool dataStage, bool filteringGateway)
    {
        if (reason == "userunknown" && (filteringGateway || dataStage || status is { Length: > 3 } && status.AsSpan(1).StartsWith(".2.")))
            return "filtered";
        if (reason == "hostunknown" && status is not null && status.StartsWith('4'))
            return "networkerror";
        return reason;
    }

    /// <summary>
    /// One text as the phrase tables see it, normalized once and searched once however many recipients
    /// consult it (the whole notice is shared by all of them).
    /// </summary>
    internal sealed class Evidence
    {
        private readonly string text;
        private readonly Lazy<string?> specific;
        private readonly Lazy<string?> generic;
        private readonly Lazy<(bool Rcpt, bool Connection, bool Data, bool DomainMissing, bool Sender)> stages;

        public Evidence(string? raw)
        {
            text = raw is { Length: > 0 } ? Normalize(raw) : string.Empty;
            specific = new(() => Find(SpecificPhrases, text), LazyThreadSafetyMode.None);
            generic = new(() => Find(GenericPhrases, text), LazyThreadSafetyMode.None);
            stages = new(
                () => (ContainsAny(text, RcptStages), ContainsAny(text, ConnectionStages), ContainsAny(text, DataStages), NamesMissingDomain(text),
                    ContainsAny(text, SenderStages)),
                LazyThreadSafetyMode.None);
        }

        public string? Specific => specific.Value;

        public string? Generic => generic.Value;

        public bool RcptStage => stages.Value.Rcpt;

        public bool ConnectionStage => stages.Value.Connection;

        public bool DataStage => stages.Value.Data;

        /// <summary>Whether the text names a DNS blocklist (Spamhaus, SpamCop, SORBS, "blocklist", "RBL").</summary>
        public bool NamesBlocklist => ContainsAny(text, Blocklists);

        /// <summary>Whether the refusal came in answer to MAIL FROM.</summary>
        public bool SenderStage => stages.Value.Sender;

        /// <summary>Whether what "does not exist" is a domain ("example.com does not exist"), not a mailbox.</summary>
        public bool DomainMissing => stages.Value.DomainMissing;

        private static bool NamesMissingDomain(string text)
        {
            var at = text.IndexOf(" does not exist", StringComparison.OrdinalIgnoreCase);
            if (at <= 0)
                return false;
            var word = text.AsSpan(0, at);
            word = word[(word.LastIndexOf(' ') + 1)..].TrimEnd(":;,");
            return word.Contains('.') && char.IsAsciiLetter(word[^1]);
        }
    }

    private static bool ContainsAny(string text, string[] phrases)
    {
        foreach (var phrase in phrases)
        {
            if (text.Contains(phrase, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    private static string? Find((string Reason, string[] Phrases)[] table, string text)
    {
        foreach (var (reason, phrases) in table)
        {
            if (ContainsAny(text, phrases))
                return reason;
        }
        return null;
    }

    /// <summary>
    /// The text as the phrase tables see it: addresses, reply codes, status codes and transcript marks removed
    /// (test addresses such as <c>mailboxfull@example.org</c> and the <c>550-5.7.1</c> prefixes of multi-line
    /// replies would mislead or split phrases), white space collapsed, at most
    /// <see cref="MailClassifier.MaxScanChars"/> characters.
    /// </summary>
    private static string Normalize(string text)
    {
        var span = text.AsSpan(0, Math.Min(text.Length, MailClassifier.MaxScanChars));
        var builder = new System.Text.StringBuilder(span.Length);
        foreach (var range in span.SplitAny(' ', '\t', '\r', '\n'))
        {
            var word = span[range];
            // An address is dropped, but not the command it is glued to: "FROM:<a@example.com>" keeps "FROM:".
            if (word.Contains('@'))
                word = word.IndexOf('<') is > 0 and var lt ? word[..lt] : [];
            if (word.IsEmpty || IsCodeWord(word))
                continue;
            if (builder.Length > 0)
                builder.Append(' ');
            builder.Append(word);
        }
        return builder.ToString();
    }

    // "550", "550-5.7.1", "5.1.1", "#5.1.0", "(5.2.2)", and transcript marks such as "<<<": codes, not words.
    private static bool IsCodeWord(ReadOnlySpan<char> word)
    {
        word = word.Trim("#()[]<>:;,.-");
        foreach (var c in word)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or '-'))
                return false;
        }
        return true;
    }

    /// <summary>Whether sending to the address again cannot succeed: the address or its domain does not exist or moved, or the host refuses all mail for good.</summary>
    public static bool IsHard(string reason, string? status) => reason switch
    {
        "userunknown" or "hostunknown" or "hasmoved" => true,
        "notaccept" => status is not null && status.StartsWith('5'),
        _ => false,
    };

    /// <summary>Whether the DSN action is a success (delivered, relayed, expanded).</summary>
    public static bool IsSuccess(string? action) =>
        action is not null && (action.StartsWith("delivered", StringComparison.OrdinalIgnoreCase)
            || action.StartsWith("deliverable", StringComparison.OrdinalIgnoreCase)
            || action.StartsWith("relayed", StringComparison.OrdinalIgnoreCase)
            || action.StartsWith("expanded", StringComparison.OrdinalIgnoreCase));

    /// <summary>The reason an enhanced status code stands for (RFC 3463, RFC 7372, RFC 7505); with <paramref name="specificOnly"/>, only codes that name one cause.</summary>
    public static string? FromStatus(string? status, bool specificOnly)
    {
        if (status is null || status.Length < 5 || status[0] == '2')
            return null;
        var detail = status.AsSpan(2);
        var specific = detail switch
        {
            "1.1" or "1.3" => "userunknown",
            "1.2" => "hostunknown",
            "1.6" => "hasmoved",
            "1.7" or "1.8" => "rejected",
            "2.1" => "suspend",
            "2.2" => "mailboxfull",
            "2.3" => "exceedlimit",
            "3.1" => "systemfull",
            // Permanent: the host accepts no mail (RFC 7505's null MX); temporary, it is busy, and the text says why.
            "3.2" when status[0] == '5' => "notaccept",
            "3.4" => "mesgtoobig",
            "4.4" => "hostunknown",
            "4.7" => "expired",
            "5.3" => "exceedlimit",
            "6.0" or "6.1" or "6.2" or "6.3" or "6.4" or "6.5" or "6.6" => "contenterror",
            "7.4" or "7.5" or "7.6" or "7.7" or "7.8" or "7.10" or "7.11" or "7.12" => "securityerror",
            "7.13" or "7.14" => "suspend",
            "7.20" or "7.21" or "7.22" or "7.23" or "7.24" or "7.26" or "7.27" or "7.28" or "7.29" or "7.509" => "authfailure",
            "7.25" => "requireptr",
            "7.606" => "blocked",
            _ => null,
        };
        if (specific is not null || specificOnly)
            return specific;

        return detail switch
        {
            "1.0" or "1.4" or "1.5" => "userunknown",
            "1.10" => "notaccept",
            "7.9" => "securityerror",
            "2.0" => "filtered",
            "2.4" => "systemerror",
            "3.0" or "3.2" or "3.3" or "3.5" => "systemerror",
            "4.0" or "4.1" or "4.2" or "4.3" or "4.5" or "4.6" => "networkerror",
            "5.0" or "5.1" or "5.2" or "5.4" or "5.5" => "syntaxerror",
            "7.0" or "7.1" or "7.2" or "7.3" => "rejected",
            _ => null,
        };
    }
}
