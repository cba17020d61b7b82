namespace Mailing.Toolkit.Text.Internal;

/// <summary>How a link's href reads in plain text, and whether the link's own text already says it.</summary>
internal static class LinkTargets
{
    /// <summary>What a reader should see of an href: the address of a mailto:, nothing for page anchors and scripts.</summary>
    public static string ForDisplay(string href)
    {
        var target = href.Trim();
        if (target.AsSpan().IndexOfAny('\r', '\n', '\t') >= 0)
            target = target.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal);

        if (target.Length == 0 || target[0] == '#' || target.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase))
            return string.Empty;

        if (target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            var query = target.IndexOf('?', StringComparison.Ordinal);
            var address = query < 0 ? target[7..] : target[7..query];
            return Uri.UnescapeDataString(address);
        }

        return target;
    }

    /// <summary>Whether a link's text is its own target, ignoring case, the http(s) scheme and a trailing slash.</summary>
    public static bool IsSame(string text, string target)
    {
        var a = StripUrlDecoration(text.AsSpan());
        var b = StripUrlDecoration(target.AsSpan());
        return a.Equals(b, StringComparison.OrdinalIgnoreCase);
    }

    private static ReadOnlySpan<char> StripUrlDecoration(ReadOnlySpan<char> url)
    {
        if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            url = url[8..];
        else if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            url = url[7..];
        return url.TrimEnd('/');
    }
}
