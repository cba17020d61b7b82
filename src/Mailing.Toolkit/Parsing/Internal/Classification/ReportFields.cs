namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>
/// Reads the field blocks of a report body (RFC 3464 delivery-status, RFC 5965 feedback-report): header-style
/// <c>Name: value</c> lines, folded lines joined, blank lines separating groups. Lines that are not fields are
/// skipped, so text around an inline report does no harm.
/// </summary>
internal static class ReportFields
{
    public static List<List<KeyValuePair<string, string>>> Parse(string text)
    {
        var groups = new List<List<KeyValuePair<string, string>>>();
        var current = new List<KeyValuePair<string, string>>();
        var position = 0;
        while (position <= text.Length)
        {
            var end = text.IndexOf('\n', position);
            if (end < 0)
                end = text.Length;
            var line = text.AsSpan(position, end - position).TrimEnd('\r');
            position = end + 1;

            if (line.IsWhiteSpace())
            {
                if (current.Count > 0)
                {
                    groups.Add(current);
                    current = [];
                }
                continue;
            }

            if (line[0] is ' ' or '\t')
            {
                if (current.Count > 0)
                {
                    var last = current[^1];
                    current[^1] = new(last.Key, last.Value + " " + line.Trim().ToString());
                }
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0 || !IsFieldName(line[..colon]))
                continue;
            current.Add(new(line[..colon].ToString(), line[(colon + 1)..].Trim().ToString()));
        }
        if (current.Count > 0)
            groups.Add(current);
        return groups;
    }

    public static string? Get(List<KeyValuePair<string, string>> group, string name)
    {
        foreach (var (key, value) in group)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && value.Length > 0)
                return value;
        }
        return null;
    }

    private static bool IsFieldName(ReadOnlySpan<char> name)
    {
        if (name.Length > 64)
            return false;
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
                return false;
        }
        return true;
    }
}
