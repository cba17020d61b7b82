namespace Mailing.Toolkit.Security;

/// <summary>What a spam scanner recommends doing with a message, mildest first (rspamd's action names).</summary>
public enum SpamAction
{
    /// <summary>Deliver as usual.</summary>
    NoAction,

    /// <summary>Ask the sender to try again later (SMTP 4xx); a legitimate server does, many spam senders do not.</summary>
    Greylist,

    /// <summary>Deliver, marked as spam (a header, or a spam folder).</summary>
    AddHeader,

    /// <summary>Deliver, marked as spam in the subject.</summary>
    RewriteSubject,

    /// <summary>Refuse for now (SMTP 4xx), for example when a rate limit was hit.</summary>
    SoftReject,

    /// <summary>Refuse the message (SMTP 5xx).</summary>
    Reject,
}

/// <summary>Where a <see cref="SpamVerdict"/> came from.</summary>
public enum SpamVerdictOrigin
{
    /// <summary>The scanner classified the message.</summary>
    Server,

    /// <summary>The message was not sent to the scanner (larger than the configured limit); the verdict is
    /// <see cref="SpamAction.NoAction"/>, as spamc does with such messages.</summary>
    Skipped,

    /// <summary>The scanner could not be asked or gave no usable answer, and the failure mode is fail open: the
    /// verdict is <see cref="SpamAction.NoAction"/>.</summary>
    Failure,
}

/// <summary>One rule (rspamd: symbol) that matched.</summary>
/// <param name="Name">The rule's name, for example <c>GTUBE</c> or <c>DMARC_POLICY_REJECT</c>.</param>
/// <param name="Score">The points it added (negative for ham signs); 0 when the scanner lists rules without points
/// (spamd's <c>SYMBOLS</c> command).</param>
/// <param name="Description">The scanner's description of the rule, when it gave one.</param>
public sealed record SpamSymbol(string Name, double Score, string? Description = null);

/// <summary>A spam scanner's verdict on one message.</summary>
public sealed class SpamVerdict
{
    /// <summary>The classifier that gave it: <c>rspamd</c> or <c>spamassassin</c>.</summary>
    public required string Classifier { get; init; }

    /// <summary>The message's score; 0 when <see cref="Origin"/> is not <see cref="SpamVerdictOrigin.Server"/>.</summary>
    public double Score { get; init; }

    /// <summary>The score from which the scanner calls a message spam (rspamd's <c>required_score</c>, the reject
    /// threshold; SpamAssassin's <c>required_score</c>); 0 when the scanner was not asked.</summary>
    public double Threshold { get; init; }

    /// <summary>What the scanner recommends.</summary>
    public SpamAction Action { get; init; }

    /// <summary>Whether the scanner calls the message spam: SpamAssassin's own flag; for rspamd an action of
    /// <see cref="SpamAction.AddHeader"/>, <see cref="SpamAction.RewriteSubject"/> or <see cref="SpamAction.Reject"/>.</summary>
    public bool IsSpam { get; init; }

    /// <summary>The rules that matched, highest score first.</summary>
    public IReadOnlyList<SpamSymbol> Symbols { get; init; } = [];

    /// <summary>Whether the scanner classified the message, or why it did not.</summary>
    public SpamVerdictOrigin Origin { get; init; }

    /// <summary>Why the verdict did not come from the scanner (the limit hit, or what failed); null when it did.</summary>
    public string? Reason { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Origin == SpamVerdictOrigin.Server
        ? FormattableString.Invariant($"{Classifier}: {Action} ({Score:0.##}/{Threshold:0.##}, {Symbols.Count} symbol(s))")
        : FormattableString.Invariant($"{Classifier}: {Action} ({Origin}: {Reason})");
}

/// <summary>
/// A spam scanner could not classify a message (down, too slow, or it answered something that is not a verdict) and
/// its failure mode is fail closed. The inbound pipeline treats it like any failing step: the message is retried, then
/// quarantined, never delivered unchecked.
/// </summary>
public sealed class SpamCheckException : Exception
{
    /// <summary>Creates an exception.</summary>
    public SpamCheckException()
        : this("The spam check failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public SpamCheckException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public SpamCheckException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception naming the classifier that failed.</summary>
    public SpamCheckException(string message, string classifier, Exception? innerException = null)
        : base(message, innerException)
    {
        Classifier = classifier;
    }

    /// <summary>The classifier that failed (<c>rspamd</c>, <c>spamassassin</c>), when known.</summary>
    public string? Classifier { get; }
}
