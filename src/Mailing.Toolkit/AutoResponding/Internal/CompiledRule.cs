using System.Text.RegularExpressions;
using Mailing.Toolkit.Addressing.Internal;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Text;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>What matching one rule against one message found.</summary>
internal enum RuleMatch
{
    NoMatch,
    Match,
    TimedOut,
}

/// <summary>The message a rule is matched against, with the values computed once for every rule.</summary>
internal sealed class RuleInput(ParsedMail mail, IReadOnlyList<string> recipients, string? sender, DateTimeOffset now)
{
    private string? body;

    public ParsedMail Mail { get; } = mail;

    public IReadOnlyList<string> Recipients { get; } = recipients;

    public string? Sender { get; } = sender;

    public DateTimeOffset Now { get; } = now;

    public string Body => body ??= Mail.TextBody ?? (Mail.HtmlBody is { } html ? HtmlToText.Convert(html) : string.Empty);
}

/// <summary>An <see cref="AutoReplyRule"/> with its patterns compiled once.</summary>
internal sealed class CompiledRule
{
    private const RegexOptions PatternOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    private readonly AddressPattern[] recipients;
    private readonly AddressPattern[] senders;
    private readonly Regex? subject;
    private readonly Regex? body;
    private readonly (string Name, Regex Pattern)[] headers;

    /// <exception cref="ArgumentException">A pattern is not a valid regular expression.</exception>
    public CompiledRule(AutoReplyRule rule, TimeSpan regexTimeout)
    {
        Rule = rule;
        recipients = rule.Recipients.Select(p => new AddressPattern(p)).ToArray();
        senders = rule.Senders.Select(p => new AddressPattern(p)).ToArray();
        subject = rule.Subject is { Length: > 0 } s ? new Regex(s, PatternOptions, regexTimeout) : null;
        body = rule.Body is { Length: > 0 } b ? new Regex(b, PatternOptions, regexTimeout) : null;
        headers = rule.Headers.Select(h => (h.Key, new Regex(h.Value, PatternOptions, regexTimeout))).ToArray();
        Timeout = regexTimeout;
    }

    public AutoReplyRule Rule { get; }

    public string Name => Rule.Name;

    public TimeSpan Timeout { get; }

    /// <summary>Matches the rule; the named groups of the subject and body patterns go into <paramref name="values"/>.</summary>
    /// <param name="input">The message.</param>
    /// <param name="values">Receives the named groups.</param>
    /// <param name="timedOutField">The field whose pattern timed out, when the result is <see cref="RuleMatch.TimedOut"/>.</param>
    public RuleMatch Match(RuleInput input, Dictionary<string, string> values, out string? timedOutField)
    {
        timedOutField = null;
        if (Rule.ActiveFrom is { } from && input.Now < from)
            return RuleMatch.NoMatch;
        if (Rule.ActiveUntil is { } until && input.Now >= until)
            return RuleMatch.NoMatch;
        if (Rule.FirstMessageOfThreadOnly && (input.Mail.InReplyTo is not null || input.Mail.References.Count > 0))
            return RuleMatch.NoMatch;
        if (recipients.Length > 0 && !input.Recipients.Any(r => recipients.Any(p => p.IsMatch(r))))
            return RuleMatch.NoMatch;
        if (senders.Length > 0 && (input.Sender is null || !senders.Any(p => p.IsMatch(input.Sender))))
            return RuleMatch.NoMatch;

        var field = "Subject";
        try
        {
            if (subject is not null && !Capture(subject, input.Mail.Subject ?? string.Empty, values))
                return RuleMatch.NoMatch;

            foreach (var (name, pattern) in headers)
            {
                field = name;
                if (!input.Mail.Headers.Any(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && pattern.IsMatch(h.Value)))
                    return RuleMatch.NoMatch;
            }

            field = "Body";
            if (body is not null && !Capture(body, input.Body, values))
                return RuleMatch.NoMatch;
        }
        catch (RegexMatchTimeoutException)
        {
            timedOutField = field;
            return RuleMatch.TimedOut;
        }

        return RuleMatch.Match;
    }

    private static bool Capture(Regex pattern, string text, Dictionary<string, string> values)
    {
        var match = pattern.Match(text);
        if (!match.Success)
            return false;
        foreach (Group group in match.Groups)
        {
            if (group.Success && !char.IsAsciiDigit(group.Name[0]))
                values[group.Name] = TextValues.SingleLine(group.Value);
        }

        return true;
    }
}
