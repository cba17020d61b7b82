namespace Mailing.Toolkit.AutoResponding;

/// <summary>
/// Settings of the <see cref="IAutoResponder"/>, bound from <c>Mailing:AutoResponder</c>. Rules come from the
/// <c>Rules</c> list of the configuration and from code (<c>options.Rules.Add(new AutoReplyRule { ... })</c>);
/// the first rule that matches a message answers it.
/// </summary>
public sealed class AutoResponderOptions
{
    /// <summary>The configuration section these options bind from by convention.</summary>
    public const string SectionName = "Mailing:AutoResponder";

    /// <summary>Turns automatic replies off without removing the rules (<c>Mailing:AutoResponder:Enabled</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The rules, tried in order; the first that matches answers the message.</summary>
    public IList<AutoReplyRule> Rules { get; } = new List<AutoReplyRule>();

    /// <summary>
    /// The From of the replies when the rule sets none, for example <c>"Support &lt;support@shop.example&gt;"</c>.
    /// When neither sets one, the reply comes from the address the message was received at, or else from
    /// <c>Mailing:DefaultFrom</c>.
    /// </summary>
    public string? From { get; set; }

    /// <summary>How long one reply to a sender blocks the next one to that sender, when the rule sets no interval. Default 7 days.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// More addresses that are ours and never get a reply, besides <see cref="From"/>, the rules' From and the address a
    /// message was received at. Patterns as in <see cref="AutoReplyRule.Recipients"/> (<c>*@shop.example</c>).
    /// </summary>
    public IList<string> OwnAddresses { get; } = new List<string>();

    /// <summary>
    /// The file that remembers which senders got a reply, so that a restart does not answer them again.
    /// When <see langword="null"/> (the default) the history is kept in memory. A registered
    /// <see cref="IAutoReplyHistory"/> replaces both.
    /// </summary>
    public string? HistoryPath { get; set; }

    /// <summary>The longest time one regular expression of a rule may take on one message. Default 100 ms.</summary>
    public TimeSpan RegexTimeout { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// One automatic-reply rule: conditions on the message, and the response. Every condition that is set must hold.
/// Regular expressions are case-insensitive and limited by <see cref="AutoResponderOptions.RegexTimeout"/>.
/// </summary>
public sealed class AutoReplyRule
{
    /// <summary>The rule's name, unique among the rules; it appears in logs, metrics and <see cref="AutoResponse.Rule"/>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// Address patterns the message must have been received at: <c>support@shop.example</c>, <c>*@shop.example</c>,
    /// <c>support*@*</c>. A pattern without a <c>+tag</c> also matches tagged addresses (<c>support+1234@shop.example</c>).
    /// Checked against the recipient passed to <see cref="IAutoResponder.RespondAsync(Parsing.ParsedMail, string?, CancellationToken)"/>, or else Delivered-To, To and Cc.
    /// </summary>
    public IList<string> Recipients { get; } = new List<string>();

    /// <summary>Address patterns (as in <see cref="Recipients"/>) the sender (the first From) must match.</summary>
    public IList<string> Senders { get; } = new List<string>();

    /// <summary>A regular expression the subject must match. Named groups become template values (<c>(?&lt;order&gt;\d+)</c>).</summary>
    public string? Subject { get; set; }

    /// <summary>A regular expression the text body must match (the HTML body converted to text when there is no text body). Named groups become template values.</summary>
    public string? Body { get; set; }

    /// <summary>Header conditions: the field name and a regular expression its value must match. A missing field does not match.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>When set, the rule applies only from this time on (a vacation's first day).</summary>
    public DateTimeOffset? ActiveFrom { get; set; }

    /// <summary>When set, the rule applies only before this time.</summary>
    public DateTimeOffset? ActiveUntil { get; set; }

    /// <summary>Answers only the first message of a thread: one with no In-Reply-To and no References.</summary>
    public bool FirstMessageOfThreadOnly { get; set; }

    /// <summary>
    /// The subject of the reply. <c>{name}</c> placeholders are filled from <see cref="AutoReplyTemplateModel"/>
    /// (<c>{Subject}</c>, <c>{FromName}</c>, ...) and from the named groups of <see cref="Subject"/> and <see cref="Body"/>.
    /// Default: <c>Re: </c> and the original subject without its reply prefixes.
    /// </summary>
    public string? ReplySubject { get; set; }

    /// <summary>The text body of the reply, with <c>{name}</c> placeholders as in <see cref="ReplySubject"/>.</summary>
    public string? Text { get; set; }

    /// <summary>The HTML body of the reply, with <c>{name}</c> placeholders (their values HTML-encoded).</summary>
    public string? Html { get; set; }

    /// <summary>
    /// The name of a template rendered by the registered <c>IMailTemplateRenderer</c> with an <see cref="AutoReplyTemplateModel"/>;
    /// it gives the subject (when it renders one) and the bodies. <see cref="Text"/> and <see cref="Html"/> are used when no renderer is registered.
    /// </summary>
    public string? Template { get; set; }

    /// <summary>The From of the reply; default <see cref="AutoResponderOptions.From"/>.</summary>
    public string? From { get; set; }

    /// <summary>How long a reply by this rule blocks the next reply to the same sender; default <see cref="AutoResponderOptions.Interval"/>.</summary>
    public TimeSpan? Interval { get; set; }
}
