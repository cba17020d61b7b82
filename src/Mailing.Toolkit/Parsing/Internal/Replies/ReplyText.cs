using System.Text;

namespace Mailing.Toolkit.Parsing.Internal.Replies;

/// <summary>What the HTML structure already says about a line, before any text rule looks at it.</summary>
internal enum LineHint : byte
{
    /// <summary>Nothing: plain text, or HTML outside any quote container.</summary>
    None,

    /// <summary>An attribution container (<c>div.gmail_attr</c>, <c>div.moz-cite-prefix</c>).</summary>
    Header,

    /// <summary>A quote container (<c>blockquote</c>, <c>div.yahoo_quoted</c>).</summary>
    Quote,

    /// <summary>At or after a separator that starts the quoted message and runs to the end (Outlook's <c>#divRplyFwdMsg</c>).</summary>
    QuoteToEnd,
}

/// <summary>A text with <c>\n</c> line breaks, split into lines, each with its <see cref="LineHint"/>.</summary>
internal sealed class ReplyText
{
    private readonly List<int> starts = [];
    private readonly List<int> ends = [];
    private readonly List<LineHint> hints = [];
    private readonly StringBuilder builder;
    private string? text;

    private ReplyText(int capacity) => builder = new StringBuilder(capacity);

    public int Count => starts.Count;

    /// <summary>The number of characters appended so far.</summary>
    public int Length => builder.Length;

    public string Text => text ??= builder.ToString();

    /// <summary>
    /// Plain text: every line break form becomes <c>\n</c>; no hints. An attribution that shares its line with the
    /// reply ("Thanks! On Mon, Mar 12, 2018 at 10:00 AM John &lt;john@example.com&gt; wrote:") gets a line of its own.
    /// </summary>
    public static ReplyText FromPlain(ReadOnlySpan<char> plain)
    {
        var result = new ReplyText(plain.Length);
        result.Append(SplitGluedAttributions(plain), LineHint.None);
        return result;
    }

    // Lines that end in "wrote:" and hold " On " (or "--- On ") after some text: the line is broken before "On" when
    // what follows is an attribution with a date, a time or an address. One pass; a copy only when a line is broken.
    private static ReadOnlySpan<char> SplitGluedAttributions(ReadOnlySpan<char> plain)
    {
        StringBuilder? copy = null;
        var copied = 0;
        var offset = 0;
        foreach (var range in plain.Split('\n'))
        {
            var line = plain[range].TrimEnd("\r \t");
            var start = offset;
            offset += plain[range].Length + 1;
            if (line.Length is < 12 or > ReplyVocabulary.MaxHeaderLength || !line.EndsWith("wrote:", StringComparison.OrdinalIgnoreCase))
                continue;
            var on = line.LastIndexOf("On ", StringComparison.Ordinal);
            if (on <= 0 || line[on - 1] is not (' ' or '-') || line.TrimStart().StartsWith('>')
                || ReplyVocabulary.ClassifyAttribution(line[on..]) != AttributionKind.WithVerb)
                continue;
            // The dashes some clients put before "On" ("reply--- On ...") go with the attribution.
            var split = on;
            while (split > 0 && line[split - 1] is '-' or ' ')
                split--;
            if (line[..split].IsWhiteSpace())
                continue;
            copy ??= new StringBuilder(plain.Length + 16);
            copy.Append(plain[copied..(start + split)]).Append('\n');
            copied = start + split;
        }
        if (copy is null)
            return plain;
        copy.Append(plain[copied..]);
        return copy.ToString();
    }

    /// <summary>An empty text that <see cref="Append"/> fills block by block.</summary>
    public static ReplyText Empty(int capacity) => new(capacity);

    /// <summary>Appends a block of lines (on new lines, after a blank one) with the same hint.</summary>
    public void Append(ReadOnlySpan<char> block, LineHint hint)
    {
        text = null;
        if (builder.Length > 0)
        {
            // A blank line between blocks, as between paragraphs.
            builder.Append('\n');
            AddLine(builder.Length, builder.Length, LineHint.None);
            builder.Append('\n');
        }

        while (true)
        {
            var lineStart = builder.Length;
            var length = block.IndexOfAny('\r', '\n');
            builder.Append(length < 0 ? block : block[..length]);
            AddLine(lineStart, builder.Length, hint);
            if (length < 0)
                break;
            builder.Append('\n');
            var breakLength = block[length] == '\r' && length + 1 < block.Length && block[length + 1] == '\n' ? 2 : 1;
            block = block[(length + breakLength)..];
        }
    }

    public ReadOnlySpan<char> Line(int index) => Text.AsSpan(starts[index], ends[index] - starts[index]);

    public LineHint Hint(int index) => hints[index];

    public bool IsBlank(int index) => Line(index).IsWhiteSpace();

    /// <summary>Whether the line is quoted: inside a quote container or starting with <c>&gt;</c>.</summary>
    public bool IsQuoted(int index) => hints[index] is LineHint.Quote or LineHint.QuoteToEnd || Line(index).TrimStart().StartsWith('>');

    /// <summary>The lines <paramref name="first"/> to <paramref name="end"/> (exclusive), trimmed; <see langword="null"/> when blank.</summary>
    public string? Slice(int first, int end)
    {
        if (first >= end)
            return null;
        var slice = Text.AsSpan(starts[first], ends[end - 1] - starts[first]).Trim();
        return slice.IsEmpty ? null : slice.ToString();
    }

    /// <summary>
    /// Like <see cref="Slice"/>, for text a reader sees: each line without trailing white space and without the
    /// invisible characters clients and trackers insert, no-break spaces as spaces.
    /// </summary>
    public string? VisibleSlice(int first, int end)
    {
        if (first >= end)
            return null;
        var slice = Text.AsSpan(starts[first], ends[end - 1] - starts[first]);
        if (slice.IndexOfAny(Invisible) < 0 && !slice.Contains(" \n", StringComparison.Ordinal) && !slice.Contains("\t\n", StringComparison.Ordinal))
        {
            slice = slice.Trim();
            return slice.IsEmpty ? null : slice.ToString();
        }

        var tidy = new StringBuilder(slice.Length);
        foreach (var range in slice.Split('\n'))
        {
            if (tidy.Length > 0)
                tidy.Append('\n');
            var line = slice[range];
            if (line.IndexOfAny(Invisible) < 0)
            {
                tidy.Append(line);
            }
            else
            {
                foreach (var c in line)
                {
                    if (c == '\u00A0')
                        tidy.Append(' ');
                    else if (!Invisible.Contains(c))
                        tidy.Append(c);
                }
            }
            var keep = tidy.Length;
            while (keep > 0 && tidy[keep - 1] is ' ' or '\t')
                keep--;
            tidy.Length = keep;
        }

        var result = tidy.ToString().Trim();
        return result.Length == 0 ? null : result;
    }

    // What the visible text loses: the no-break space (made a space), zero-width characters, the byte-order mark,
    // the soft hyphen, and U+1427 (a mail tracker's invisible dot).
    private static readonly System.Buffers.SearchValues<char> Invisible = System.Buffers.SearchValues.Create(
        "\u00A0\u200B\u200C\u200D\u2060\uFEFF\u180E\u1427\u034F\u00AD");

    private void AddLine(int start, int end, LineHint hint)
    {
        starts.Add(start);
        ends.Add(end);
        hints.Add(hint);
    }
}
