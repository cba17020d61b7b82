using System.Text;

namespace Mailing.Toolkit.Sieve;

/// <summary>
/// Writes Sieve (RFC 5228) text: every value from a caller goes out as a quoted string with <c>\</c> and <c>"</c>
/// escaped, so no value can end its string early and become script. Values that must stay on one line (header names,
/// subjects, addresses, folders, flags) are refused when they hold CR, LF or NUL; text that may span lines (a reason, a
/// vacation body) gets CRLF line ends and is refused only for NUL. Collects the extensions the script uses.
/// </summary>
internal sealed class SieveWriter
{
    private readonly StringBuilder text = new();
    private readonly SortedSet<string> requires = new(StringComparer.Ordinal);
    private int depth;

    public IReadOnlyCollection<string> Requires => requires;

    public void Require(string extension) => requires.Add(extension);

    public SieveWriter Raw(string sieve)
    {
        text.Append(sieve);
        return this;
    }

    public SieveWriter Line(string sieve)
    {
        text.Append(' ', depth * 4).Append(sieve).Append("\r\n");
        return this;
    }

    public void Indent() => depth++;

    public void Outdent() => depth--;

    public void Comment(string comment) => Line("# " + SingleLine(comment, "A comment"));

    /// <summary>A one-line value as a quoted string.</summary>
    public static string String(string value, string field) => Quote(SingleLine(value, field));

    /// <summary>Text that may span lines, as a quoted string with CRLF line ends.</summary>
    public static string Text(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value, field);
        if (value.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException($"{field} contains a NUL character, which a Sieve script cannot hold.", field);
        return Quote(value.ReplaceLineEndings("\r\n"));
    }

    /// <summary>A string list (<c>["a", "b"]</c>) of one-line values.</summary>
    public static string List(IReadOnlyCollection<string> values, string field)
    {
        if (values.Count == 0)
            throw new ArgumentException($"{field} needs at least one value.", field);
        return values.Count == 1 ? String(values.First(), field) : "[" + string.Join(", ", values.Select(v => String(v, field))) + "]";
    }

    /// <summary>A header field name (RFC 5322: printable US-ASCII without a colon).</summary>
    public static string HeaderName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Any(c => c is < '!' or > '~' or ':'))
            throw new ArgumentException($"'{Printable(name)}' is not a header field name: use printable ASCII without spaces or a colon.", nameof(name));
        return Quote(name);
    }

    public override string ToString()
    {
        var script = new StringBuilder();
        if (requires.Count > 0)
            script.Append("require [").AppendJoin(", ", requires.Select(Quote)).Append("];\r\n");
        return script.Append(text).ToString();
    }

    private static string SingleLine(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value, field);
        if (HeaderSafety.ContainsLineBreakOrNul(value))
            throw new ArgumentException($"{field} contains a CR, LF or NUL character, which could break out of its Sieve string or inject a header; remove line breaks from it.", field);
        return value;
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Printable(string value) => new(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
