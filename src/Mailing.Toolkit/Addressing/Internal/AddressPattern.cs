namespace Mailing.Toolkit.Addressing.Internal;

/// <summary>
/// An address pattern with <c>*</c> (any run of characters) and <c>?</c> (one character), compared ignoring case.
/// A pattern whose local part has no <c>+</c> also matches sub-addressed (tagged) forms of the address.
/// Matched without regular expressions, in time proportional to the pattern times the address.
/// </summary>
internal sealed class AddressPattern
{
    private readonly string pattern;
    private readonly bool matchesTagged;
    private readonly bool literal;

    public AddressPattern(string pattern)
        : this(pattern, literal: false)
    {
    }

    private AddressPattern(string pattern, bool literal)
    {
        this.literal = literal;
        this.pattern = pattern.Trim().ToLowerInvariant();
        var at = this.pattern.LastIndexOf('@');
        matchesTagged = !(at < 0 ? this.pattern : this.pattern[..at]).Contains('+', StringComparison.Ordinal);
    }

    /// <summary>One address, where <c>*</c> and <c>?</c> are characters of the address (a local part may contain them).</summary>
    public static AddressPattern Exact(string address) => new(address, literal: true);

    public bool IsMatch(string address)
    {
        var candidate = address.Trim().ToLowerInvariant();
        if (Matches(candidate))
            return true;
        return matchesTagged && WithoutTag(candidate) is { } untagged && Matches(untagged);
    }

    private bool Matches(string candidate) => literal ? candidate == pattern : Wildcard(candidate, pattern);

    /// <summary><c>local+tag@domain</c> without the tag, or <see langword="null"/> when the address has none.</summary>
    public static string? WithoutTag(string address)
    {
        var at = address.LastIndexOf('@');
        var plus = at > 0 ? address.IndexOf('+', 0, at) : -1;
        return plus > 0 ? string.Concat(address.AsSpan(0, plus), address.AsSpan(at)) : null;
    }

    /// <summary>The local part of an address, lower-cased and without a <c>+tag</c>.</summary>
    public static string LocalPart(string address)
    {
        var lower = address.Trim().ToLowerInvariant();
        var at = lower.LastIndexOf('@');
        var local = at < 0 ? lower : lower[..at];
        var plus = local.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? local[..plus] : local;
    }

    private static bool Wildcard(string text, string pattern)
    {
        int t = 0, p = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                t++;
                p++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                // Remember the star; first let it match nothing, and on a mismatch let it absorb one more character.
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
