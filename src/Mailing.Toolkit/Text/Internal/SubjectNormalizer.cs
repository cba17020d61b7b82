using System.Collections.Frozen;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// Removes reply and forward prefixes from a subject, in any number and mix: <c>Re: AW: Fwd: [2] Hello</c>
/// becomes <c>Hello</c>. A prefix is a known word, an optional counter (<c>Re[2]:</c>, <c>Re(3):</c>,
/// <c>Re^2:</c>), and a colon (ASCII or full-width). List tags such as <c>[dev]</c> are kept.
/// </summary>
internal static class SubjectNormalizer
{
    // Reply and forward markers of mail clients by language, compared case-insensitively.
    private static readonly FrozenSet<string> Prefixes = FrozenSet.ToFrozenSet(
        [
            "re", "fw", "fwd", "aw", "wg", "sv", "vs", "vl", "odp", "pd", "tr", "rif", "r", "i", "rv", "enc",
            "res", "ref", "réf", "antw", "antwort", "doorst", "ynt", "ilt", "fs", "atb", "továbbítás", "vá",
            "odg", "prosl", "přep", "odp.", "fwd.", "re.", "ats", "pārs", "hv", "tr.", "rép", "отв", "ответ",
            "пересл", "ΑΠ", "ΣΧΕΤ", "ΠΡΘ", "回复", "回覆", "答复", "转发", "轉寄", "返信", "転送", "השב", "הועבר", "رد",
        ],
        StringComparer.OrdinalIgnoreCase);

    private const int LongestPrefix = 16;

    public static string? Normalize(string? subject)
    {
        if (subject is null)
            return null;
        var rest = subject.AsSpan().Trim();
        while (TryStrip(rest, out var stripped))
            rest = stripped;
        return rest.Length == subject.Length ? subject : rest.ToString();
    }

    private static bool TryStrip(ReadOnlySpan<char> subject, out ReadOnlySpan<char> rest)
    {
        rest = subject;
        var colon = subject[..Math.Min(subject.Length, LongestPrefix + 8)].IndexOfAny(':', '：');
        if (colon <= 0)
            return false;

        var word = subject[..colon].TrimEnd();
        // Counters: Re[2], Re(2), Re^2.
        if (word.Length > 0 && word[^1] is ']' or ')')
        {
            var open = word.LastIndexOfAny('[', '(');
            if (open <= 0 || !IsDigits(word[(open + 1)..^1]))
                return false;
            word = word[..open].TrimEnd();
        }
        else if (word.LastIndexOf('^') is var caret and > 0 && IsDigits(word[(caret + 1)..]))
        {
            word = word[..caret];
        }

        if (word.IsEmpty || word.Length > LongestPrefix || !Prefixes.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word))
            return false;
        rest = subject[(colon + 1)..].TrimStart();
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExceptInRange('0', '9');
}
