namespace Mailing.Toolkit.Security.Internal;

/// <summary>The tag=value list of a DKIM-Signature or ARC header field (RFC 6376 section 3.2), whitespace removed from values.</summary>
internal static class DkimTags
{
    /// <summary>Reads the tags; <see langword="null"/> when the list is malformed (a tag without '=' or a tag given twice).</summary>
    public static Dictionary<string, string>? Parse(string value)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(part))
                continue;
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                return null;
            var name = part[..equals].Trim();
            var text = RemoveWhitespace(part.AsSpan(equals + 1));
            if (name.Length == 0 || !tags.TryAdd(name, text))
                return null;
        }

        return tags;
    }

    private static string RemoveWhitespace(ReadOnlySpan<char> text)
    {
        Span<char> buffer = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
        var length = 0;
        foreach (var c in text)
        {
            if (c is not (' ' or '\t' or '\r' or '\n'))
                buffer[length++] = c;
        }

        return new string(buffer[..length]);
    }
}
