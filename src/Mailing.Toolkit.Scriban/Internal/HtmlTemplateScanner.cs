using Scriban.Parsing;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>Where a block of template code sits in the HTML around it.</summary>
internal enum CodeContext
{
    /// <summary>Between elements or in text: may produce elements.</summary>
    Data,

    /// <summary>Inside a start or end tag: in an attribute value or in place of attributes.</summary>
    Tag,

    /// <summary>Inside an HTML comment, doctype or processing instruction.</summary>
    Comment,

    /// <summary>Inside the text of <c>style</c>, <c>script</c>, <c>title</c> or <c>textarea</c>.</summary>
    RawText,
}

/// <summary>An attribute of a static start tag, with offsets into the template source.</summary>
internal sealed class HtmlAttribute
{
    /// <summary>The lower-case name, or <see langword="null"/> when the name contains template code.</summary>
    public string? Name { get; init; }

    public int NameStart { get; init; }

    public int NameEnd { get; init; }

    /// <summary>Offset of the value (inside the quotes), or -1 when the attribute has no value.</summary>
    public int ValueStart { get; init; } = -1;

    public int ValueEnd { get; init; } = -1;

    /// <summary>'"', '\'' or '\0' for an unquoted value.</summary>
    public char Quote { get; init; }

    public bool HasCode { get; init; }
}

/// <summary>A start tag written in the template (not produced by code), with offsets into the template source.</summary>
internal sealed record HtmlStartTag
{
    public int Index { get; init; }

    /// <summary>The lower-case tag name.</summary>
    public required string Name { get; init; }

    /// <summary>Offset of '&lt;'.</summary>
    public int Start { get; init; }

    /// <summary>Offset just after the tag name: where an attribute can be inserted first.</summary>
    public int NameEnd { get; init; }

    /// <summary>Offset of the closing '&gt;', or -1 when the tag never ends.</summary>
    public int End { get; init; }

    /// <summary>Where a new attribute is inserted: before "/&gt;" or "&gt;".</summary>
    public int InsertAt { get; init; }

    public required IReadOnlyList<HtmlAttribute> Attributes { get; init; }

    /// <summary>For <c>style</c> and the other raw-text elements: the content range and the end of the closing tag; -1 otherwise.</summary>
    public int ContentStart { get; init; } = -1;

    public int ContentEnd { get; init; } = -1;

    public int ElementEnd { get; init; } = -1;

    /// <summary>Whether the content of a raw-text element contains template code.</summary>
    public bool ContentHasCode { get; init; }

    public HtmlAttribute? Attribute(string name) =>
        Attributes.FirstOrDefault(a => a.Name is not null && string.Equals(a.Name, name, StringComparison.Ordinal));
}

/// <summary>A block of template code (<c>{{ ... }}</c> or <c>{%{ ... }%}</c>) and where it sits.</summary>
internal readonly record struct CodeBlock(int Start, int End, CodeContext Context);

/// <summary>
/// The HTML structure of a template's static markup: its code blocks (from Scriban's lexer, so the split is exactly
/// Scriban's) and the start tags written around them. Template code is opaque here: the scanner sees it as a run of
/// placeholder characters, which is how a tag like <c>&lt;td class="{{ cls }}"&gt;</c> is still found.
/// </summary>
internal sealed class HtmlTemplateScan
{
    private const char CodeMark = '\uE000';
    private static readonly HashSet<string> RawTextElements = new(StringComparer.Ordinal)
    {
        "style", "script", "title", "textarea", "xmp", "iframe", "noembed", "noframes",
    };

    private HtmlTemplateScan(string source, IReadOnlyList<CodeBlock> code, IReadOnlyList<HtmlStartTag> tags)
    {
        Source = source;
        Code = code;
        Tags = tags;
    }

    public string Source { get; }

    public IReadOnlyList<CodeBlock> Code { get; }

    public IReadOnlyList<HtmlStartTag> Tags { get; }

    public static HtmlTemplateScan Scan(string source)
    {
        var ranges = CodeRanges(source);
        var masked = source.ToCharArray();
        foreach (var (start, end) in ranges)
            masked.AsSpan(start, end - start).Fill(CodeMark);

        var tags = new List<HtmlStartTag>();
        var regions = new List<(int Start, int End, CodeContext Context)>();
        var n = masked.Length;
        var i = 0;
        while (i < n)
        {
            var lt = Array.IndexOf(masked, '<', i);
            if (lt < 0 || lt + 1 >= n)
                break;
            var next = masked[lt + 1];
            if (StartsWith(masked, lt, "<!--"))
            {
                var close = IndexOf(masked, "-->", lt + 4);
                i = close < 0 ? n : close + 3;
                regions.Add((lt, i, CodeContext.Comment));
            }
            else if (next is '!' or '?')
            {
                var close = Array.IndexOf(masked, '>', lt);
                i = close < 0 ? n : close + 1;
                regions.Add((lt, i, CodeContext.Comment));
            }
            else if (next == '/')
            {
                var close = Array.IndexOf(masked, '>', lt);
                i = close < 0 ? n : close + 1;
                regions.Add((lt, i, CodeContext.Tag));
            }
            else if (char.IsAsciiLetter(next))
            {
                var tag = ReadStartTag(masked, lt, tags.Count);
                tags.Add(tag);
                var tagEnd = tag.End < 0 ? n : tag.End + 1;
                regions.Add((lt, tagEnd, CodeContext.Tag));
                i = tagEnd;
                if (tag.End >= 0 && RawTextElements.Contains(tag.Name))
                {
                    var closeTag = IndexOfCloseTag(masked, tag.Name, tagEnd);
                    var contentEnd = closeTag < 0 ? n : closeTag;
                    var elementEnd = closeTag < 0 ? n : Array.IndexOf(masked, '>', closeTag) is var gt and >= 0 ? gt + 1 : n;
                    regions.Add((tagEnd, contentEnd, CodeContext.RawText));
                    tags[^1] = tag with
                    {
                        ContentStart = tagEnd,
                        ContentEnd = contentEnd,
                        ElementEnd = elementEnd,
                        ContentHasCode = Array.IndexOf(masked, CodeMark, tagEnd, contentEnd - tagEnd) >= 0,
                    };
                    if (contentEnd < n)
                        regions.Add((contentEnd, elementEnd, CodeContext.Tag));
                    i = elementEnd;
                }
            }
            else
            {
                i = lt + 1;
            }
        }

        var code = new List<CodeBlock>(ranges.Count);
        var r = 0;
        foreach (var (start, end) in ranges)
        {
            while (r < regions.Count && regions[r].End <= start)
                r++;
            var context = r < regions.Count && regions[r].Start <= start ? regions[r].Context : CodeContext.Data;
            code.Add(new CodeBlock(start, end, context));
        }
        return new HtmlTemplateScan(source, code, tags);
    }

    /// <summary>The [start, end) ranges of code and escape blocks, as Scriban's lexer splits them.</summary>
    private static List<(int Start, int End)> CodeRanges(string source)
    {
        var ranges = new List<(int, int)>();
        var open = -1;
        foreach (var token in new Lexer(source))
        {
            switch (token.Type)
            {
                case TokenType.CodeEnter or TokenType.LiquidTagEnter or TokenType.EscapeEnter:
                    if (open < 0)
                        open = token.Start.Offset;
                    break;
                case TokenType.CodeExit or TokenType.LiquidTagExit or TokenType.EscapeExit:
                    if (open >= 0)
                        ranges.Add((open, token.End.Offset + 1));
                    open = -1;
                    break;
            }
        }
        if (open >= 0)
            ranges.Add((open, source.Length));
        return ranges;
    }

    private static HtmlStartTag ReadStartTag(char[] s, int lt, int index)
    {
        var n = s.Length;
        var p = lt + 1;
        while (p < n && (char.IsAsciiLetterOrDigit(s[p]) || s[p] is '-' or ':' or '_'))
            p++;
        var name = new string(s, lt + 1, p - lt - 1).ToLowerInvariant();
        var nameEnd = p;
        var attributes = new List<HtmlAttribute>();
        var end = -1;
        while (p < n)
        {
            while (p < n && (char.IsWhiteSpace(s[p]) || s[p] == '/'))
                p++;
            if (p >= n)
                break;
            if (s[p] == '>')
            {
                end = p;
                break;
            }

            var attrStart = p;
            while (p < n && !char.IsWhiteSpace(s[p]) && s[p] is not ('=' or '>' or '/'))
                p++;
            if (p == attrStart)
                p++; // a lone '=' in attribute position: skip it
            var attrNameEnd = p;
            var q = p;
            while (q < n && char.IsWhiteSpace(s[q]))
                q++;
            int valueStart = -1, valueEnd = -1;
            var quote = '\0';
            if (q < n && s[q] == '=')
            {
                q++;
                while (q < n && char.IsWhiteSpace(s[q]))
                    q++;
                if (q < n && s[q] is '"' or '\'')
                {
                    quote = s[q];
                    valueStart = q + 1;
                    var close = Array.IndexOf(s, quote, valueStart);
                    valueEnd = close < 0 ? n : close;
                    p = close < 0 ? n : close + 1;
                }
                else
                {
                    valueStart = q;
                    while (q < n && !char.IsWhiteSpace(s[q]) && s[q] != '>')
                        q++;
                    valueEnd = q;
                    p = q;
                }
            }

            var rawName = new string(s, attrStart, attrNameEnd - attrStart);
            var hasCode = rawName.Contains(CodeMark, StringComparison.Ordinal)
                || (valueStart >= 0 && Array.IndexOf(s, CodeMark, valueStart, valueEnd - valueStart) >= 0);
            attributes.Add(new HtmlAttribute
            {
                Name = rawName.Contains(CodeMark, StringComparison.Ordinal) ? null : rawName.ToLowerInvariant(),
                NameStart = attrStart,
                NameEnd = attrNameEnd,
                ValueStart = valueStart,
                ValueEnd = valueEnd,
                Quote = quote,
                HasCode = hasCode,
            });
        }

        // New attributes go right after the last one: <img src="x" /> becomes <img src="x" style="..." />.
        var insertAt = end;
        if (end > 0 && s[end - 1] == '/')
            insertAt = end - 1;
        while (insertAt > nameEnd && char.IsWhiteSpace(s[insertAt - 1]))
            insertAt--;
        return new HtmlStartTag { Index = index, Name = name, Start = lt, NameEnd = nameEnd, End = end, InsertAt = insertAt, Attributes = attributes };
    }

    private static int IndexOfCloseTag(char[] s, string name, int from)
    {
        for (var i = from; i < s.Length - 1; i++)
        {
            i = Array.IndexOf(s, '<', i);
            if (i < 0 || i + 2 + name.Length > s.Length)
                return -1;
            if (s[i + 1] == '/' && s.AsSpan(i + 2, name.Length).Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                var after = i + 2 + name.Length;
                if (after >= s.Length || char.IsWhiteSpace(s[after]) || s[after] is '>' or '/')
                    return i;
            }
        }
        return -1;
    }

    private static bool StartsWith(char[] s, int at, string value) =>
        at + value.Length <= s.Length && s.AsSpan(at, value.Length).SequenceEqual(value);

    private static int IndexOf(char[] s, string value, int from)
    {
        var index = s.AsSpan(from).IndexOf(value);
        return index < 0 ? -1 : from + index;
    }
}
