using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Mailing.Toolkit.Text.Internal;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>Turns values taken from a received message into safe parts of a reply.</summary>
internal static partial class TextValues
{
    /// <summary>The value on one line: CR, LF, NUL and other control characters become spaces, runs of spaces one space.</summary>
    public static string SingleLine(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return string.Empty;
        var builder = new StringBuilder(value.Length);
        var space = false;
        foreach (var c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
                builder.Append(' ');
            space = false;
            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The subject without the reply, forward and auto-reply prefixes that replies pile up
    /// (<c>Re: AW: Auto: [Auto-Reply] Fwd[2]: ...</c>), so a reply's subject gets exactly one <c>Re: </c>.
    /// Reply and forward prefixes are the parser's (<see cref="SubjectNormalizer"/>); the auto-reply markers are added here.
    /// </summary>
    public static string StripPrefixes(string? subject)
    {
        var text = SingleLine(subject);
        while (true)
        {
            var stripped = SubjectNormalizer.Normalize(text)!;
            var marker = AutoReplyPrefix().Match(stripped);
            if (marker.Success)
                stripped = stripped[marker.Length..];
            if (stripped.Length == text.Length)
                return text;
            text = stripped;
        }
    }

    /// <summary>Replaces <c>{name}</c> placeholders with values; unknown names stay as written.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values, bool html) =>
        Placeholder().Replace(template, match =>
            values.TryGetValue(match.Groups[1].Value, out var value) ? (html ? WebUtility.HtmlEncode(value) : value) : match.Value);

    // Markers automatic replies put before the subject ("Auto:", "Automatic reply:", "[Auto-Reply]", ...).
    // Anchored, no nested quantifiers: linear on any subject.
    [GeneratedRegex(@"^\s*(?:(?:auto|autoreply|auto-reply|automatic reply|automatische antwort|out of office|abwesend)\s*[:：]|\[(?:auto-?reply|auto|ooo)\])\s*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AutoReplyPrefix();

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]{0,63})\}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Placeholder();
}
