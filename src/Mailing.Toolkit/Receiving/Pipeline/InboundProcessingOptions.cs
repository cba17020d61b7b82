namespace Mailing.Toolkit.Receiving;

/// <summary>Settings of the inbound pipeline, bound from <c>Mailing:Inbound</c>.</summary>
public sealed class InboundProcessingOptions
{
    /// <summary>Whether the hosted service polls the mailboxes. Off: passes run only through <see cref="IInboundMailProcessor"/>.</summary>
    public bool Background { get; set; } = true;

    /// <summary>The pause between the end of one pass and the start of the next.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many messages of one mailbox are handled at the same time.</summary>
    public int MaxParallelism { get; set; } = 4;

    /// <summary>Attempts at a message, the first included, before it goes to the quarantine folder.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The delay before the second attempt; it doubles with each further attempt, with jitter. Zero retries at once.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The folder failed and unparseable messages are moved to, raw bytes intact; the receiver creates it when missing.</summary>
    public string QuarantineFolder { get; set; } = "Quarantine";

    /// <summary>The folder messages that no route matched are moved to; when empty they are marked seen.</summary>
    public string? UnroutedFolder { get; set; }

    /// <summary>The disposition of routes that set none: <c>MarkSeen</c> (the default), <c>Delete</c>, or a folder name to move into.</summary>
    public string DefaultDisposition { get; set; } = "MarkSeen";

    /// <summary>The time limit of each subject or header pattern match; a match that times out counts as no match.</summary>
    public TimeSpan RegexTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The health check reports a mailbox unhealthy when its last successful pass is older than this. When empty:
    /// three poll intervals plus one minute.
    /// </summary>
    public TimeSpan? UnhealthyAfter { get; set; }

    /// <summary>
    /// Whether each message is handled once per mailbox and Message-ID (or raw-message digest) across instances and
    /// restarts, through the <see cref="IInboundDeduplicationStore"/> (in memory unless <c>UseSqlite</c>/<c>UsePostgreSql</c>
    /// back it). A copy of a handled message is acknowledged without running the handlers. Default off.
    /// </summary>
    public bool Deduplicate { get; set; }

    /// <summary>How long a message being handled is reserved for its instance; past it, another may take it over. Default 10 minutes.</summary>
    public TimeSpan DeduplicationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long handled keys are remembered. Default 30 days.</summary>
    public TimeSpan DeduplicationRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Whether every message is authenticated (SPF, DKIM, ARC, DMARC) before it is routed, with the results on
    /// <see cref="InboundMail.Authentication"/>, for routes (<c>WithAuthentication</c>), handlers and the auto-responder,
    /// which then never answers forged mail. Needs <c>AddMailAuthentication()</c>. Connection facts come from the
    /// Received header of a trusted receiver (<c>Mailing:Authentication:TrustedReceivers</c>), or a trusted
    /// Authentication-Results header is believed. Default off.
    /// </summary>
    public bool Authenticate { get; set; }

    /// <summary>
    /// Whether every message is given to the <see cref="Security.ISpamClassifier"/> (<c>AddRspamd()</c> or
    /// <c>AddSpamAssassin()</c>) before it is routed, with the authentication results when <see cref="Authenticate"/> is
    /// on. The verdict is on <see cref="InboundMail.Spam"/>; routes match on it (<c>WithSpamVerdict</c>, for example
    /// to move spam to a folder) and the auto-responder never answers spam. A classifier failing closed defers the
    /// message (retried on the next pass). Default off.
    /// </summary>
    public bool ClassifySpam { get; set; }

    internal TimeSpan EffectiveUnhealthyAfter => UnhealthyAfter ?? (3 * PollInterval) + TimeSpan.FromMinutes(1);

    internal MailDisposition EffectiveDefaultDisposition => DefaultDisposition.Trim() switch
    {
        var d when d.Equals("MarkSeen", StringComparison.OrdinalIgnoreCase) => MailDisposition.MarkSeen,
        var d when d.Equals("Delete", StringComparison.OrdinalIgnoreCase) => MailDisposition.Delete,
        var folder => MailDisposition.MoveTo(folder),
    };
}
