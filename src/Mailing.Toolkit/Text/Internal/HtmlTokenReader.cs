using System.Collections.Frozen;
using MimeKit.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>What <see cref="HtmlTokenReader.Read"/> stopped at.</summary>
internal enum HtmlTokenType : byte
{
    /// <summary>The end of the input.</summary>
    None,

    /// <summary>Character data: <see cref="HtmlTokenReader.Text"/>.</summary>
    Text,

    /// <summary>A start tag: <see cref="HtmlTokenReader.TagId"/>, its attributes, <see cref="HtmlTokenReader.IsSelfClosing"/>.</summary>
    StartTag,

    /// <summary>An end tag: <see cref="HtmlTokenReader.TagId"/>.</summary>
    EndTag,

    /// <summary>A comment, doctype, CDATA section, processing instruction or other bogus comment; carries nothing.</summary>
    Comment,
}

/// <summary>
/// A pull tokenizer over an HTML string, following the HTML tokenization rules as far as mail needs them: data,
/// start and end tags with quoted, unquoted and valueless attributes, self-closing tags, comments (including
/// <c>&lt;!--&gt;</c> and <c>--!&gt;</c>), doctypes, CDATA sections and bogus comments, the raw-text elements
/// (<c>script</c> with its escape states, <c>style</c>, <c>xmp</c>, <c>iframe</c>, <c>noembed</c>, <c>noframes</c>,
/// <c>noscript</c>; <c>title</c> and <c>textarea</c> with character references; <c>plaintext</c> to the end), and
/// character references. A construct cut off by the end of the input is dropped.
/// </summary>
/// <remarks>
/// Nothing is allocated per token: text, tag names and attribute values are slices of the input, and character
/// references are decoded (only in text and in the attribute values asked for) into buffers the reader reuses.
/// Each span is valid until the next <see cref="Read"/>. Decoding follows MimeKit's <see cref="HtmlEntityDecoder"/>
/// (the full HTML5 entity table), so text and attributes read as they did with MimeKit's <see cref="HtmlTokenizer"/>.
/// Every step moves forward through the input, so reading a document is linear in its length.
/// </remarks>
internal sealed class HtmlTokenReader
{
    // The known tag names (MimeKit's HtmlTagId), looked up case-insensitively by span.
    private static readonly FrozenDictionary<string, HtmlTagId>.AlternateLookup<ReadOnlySpan<char>> TagIds =
        Enum.GetValues<HtmlTagId>()
            .Where(id => id is not (HtmlTagId.Unknown or HtmlTagId.Comment))
            .ToFrozenDictionary(id => id.ToHtmlTagName(), StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();

    private const int MaxTagNameLength = 10; // "blockquote", "figcaption"

    private readonly string html;
    private int position;

    // The element whose content is read as text up to its end tag, once its start tag has been returned.
    private RawContent rawContent;
    private HtmlTagId rawId;

    private int nameStart;
    private int nameLength;
    private int textStart;
    private int textLength;
    private TextContent textContent;
    private bool textAtEnd;
    private bool textReady;
    private ReadOnlyMemory<char> decodedText;

    private Attribute[] attributes = new Attribute[8];
    private HtmlEntityDecoder? entityDecoder;
    private char[] textBuffer = [];
    private char[] valueBuffer = [];

    public HtmlTokenReader(string html)
    {
        this.html = html;
    }

    /// <summary>The token read last.</summary>
    public HtmlTokenType TokenType { get; private set; }

    /// <summary>The id of the tag read last; <see cref="HtmlTagId.Unknown"/> for custom and namespaced tags.</summary>
    public HtmlTagId TagId { get; private set; }

    /// <summary>The name of the tag read last, as written.</summary>
    public ReadOnlySpan<char> TagName => html.AsSpan(nameStart, nameLength);

    /// <summary>Whether the start tag read last ends with <c>/&gt;</c>.</summary>
    public bool IsSelfClosing { get; private set; }

    /// <summary>The number of attributes of the tag read last.</summary>
    public int AttributeCount { get; private set; }

    /// <summary>The text read last, character references decoded (except in raw text such as <c>xmp</c>).</summary>
    public ReadOnlySpan<char> Text
    {
        get
        {
            if (!textReady)
            {
                var raw = html.AsMemory(textStart, textLength);
                decodedText = textContent switch
                {
                    TextContent.Data when raw.Span.Contains('&') => Decode(raw.Span, ref textBuffer, TextContent.Data, textAtEnd),
                    TextContent.Raw when raw.Span.Contains('\0') => Decode(raw.Span, ref textBuffer, TextContent.Raw, textAtEnd),
                    TextContent.Replaceable when raw.Span.IndexOfAny('&', '\0') >= 0 => Decode(raw.Span, ref textBuffer, TextContent.Replaceable, textAtEnd),
                    _ => raw,
                };
                textReady = true;
            }

            return decodedText.Span;
        }
    }

    /// <summary>Reads the next token; <see langword="false"/> at the end of the input.</summary>
    public bool Read()
    {
        AttributeCount = 0;
        IsSelfClosing = false;
        TagId = HtmlTagId.Unknown;
        nameLength = 0;

        if (rawContent != RawContent.None && ReadRawContent())
            return true;

        while (position < html.Length)
        {
            var start = position;
            var (at, markup) = FindMarkup(start);
            if (at > start)
            {
                SetText(start, at - start, TextContent.Data);
                position = at;
                return true;
            }

            switch (markup)
            {
                case Markup.StartTag or Markup.EndTag:
                    if (ReadTag(at, markup == Markup.EndTag))
                        return true;
                    position = html.Length; // cut off by the end of the input
                    break;
                case Markup.Declaration:
                    position = SkipDeclaration(at + 2);
                    TokenType = HtmlTokenType.Comment;
                    return true;
                case Markup.BogusComment:
                    position = SkipPast('>', at + 2);
                    TokenType = HtmlTokenType.Comment;
                    return true;
                case Markup.EmptyEndTag:
                    position = at + 3; // "</>" is dropped
                    break;
                default:
                    position = html.Length; // "<", "</" or "<!" at the end
                    break;
            }
        }

        TokenType = HtmlTokenType.None;
        return false;
    }

    /// <summary>The name of attribute <paramref name="index"/>, as written.</summary>
    public ReadOnlySpan<char> GetAttributeName(int index)
    {
        ref readonly var attribute = ref attributes[index];
        return html.AsSpan(attribute.NameStart, attribute.NameLength);
    }

    /// <summary>
    /// The value of attribute <paramref name="index"/> with character references decoded; empty when it has
    /// none. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<char> GetAttributeValue(int index)
    {
        ref readonly var attribute = ref attributes[index];
        if (attribute.ValueStart < 0)
            return default;
        var raw = html.AsSpan(attribute.ValueStart, attribute.ValueLength);
        return raw.IndexOfAny('&', '\0') < 0 ? raw : Decode(raw, ref valueBuffer, TextContent.AttributeValue, atEnd: false).Span;
    }

    /// <summary>The index of the first attribute named <paramref name="name"/> (ignoring case), or -1.</summary>
    public int FindAttribute(string name)
    {
        for (var i = 0; i < AttributeCount; i++)
        {
            if (GetAttributeName(i).Equals(name, StringComparison.OrdinalIgnoreCase))
                return i;
        }

        return -1;
    }

    // ---- data --------------------------------------------------------------------------------

    /// <summary>Finds the next '&lt;' that starts markup; a '&lt;' that does not stays text.</summary>
    private (int At, Markup Markup) FindMarkup(int from)
    {
        var text = html.AsSpan();
        while (true)
        {
            var offset = text[from..].IndexOf('<');
            if (offset < 0)
                return (text.Length, Markup.None);
            var at = from + offset;
            if (at + 1 == text.Length)
                return (at, Markup.Truncated);

            switch (text[at + 1])
            {
                case var c when char.IsAsciiLetter(c):
                    return (at, Markup.StartTag);
                case '!':
                    return (at, at + 2 == text.Length ? Markup.Truncated : Markup.Declaration);
                case '?':
                    return (at, Markup.BogusComment);
                case '/' when at + 2 == text.Length:
                    return (at, Markup.Truncated);
                case '/' when char.IsAsciiLetter(text[at + 2]):
                    return (at, Markup.EndTag);
                case '/' when text[at + 2] == '>':
                    return (at, Markup.EmptyEndTag);
                case '/':
                    return (at, Markup.BogusComment); // "</ x>"
            }

            from = at + 1; // "a < b", "<3": the '<' is text
        }
    }

    private void SetText(int start, int length, TextContent content)
    {
        TokenType = HtmlTokenType.Text;
        textStart = start;
        textLength = length;
        textContent = content;
        textAtEnd = start + length == html.Length;
        textReady = false;
    }

    /// <summary>Skips what follows "&lt;!": a comment, a CDATA section, or anything else up to '&gt;'.</summary>
    private int SkipDeclaration(int from)
    {
        var rest = html.AsSpan(from);
        if (rest.StartsWith("--"))
            return SkipComment(from + 2);
        if (rest.StartsWith("[CDATA["))
        {
            var end = rest.IndexOf("]]>");
            return end < 0 ? html.Length : from + end + 3;
        }

        return SkipPast('>', from);
    }

    /// <summary>Skips a comment's content and its end: "--&gt;", "--!&gt;", or at once "&gt;" and "-&gt;".</summary>
    private int SkipComment(int from)
    {
        var text = html.AsSpan();
        if (from < text.Length && text[from] == '>')
            return from + 1;
        if (text[from..].StartsWith("->"))
            return from + 2;

        while (true)
        {
            var offset = text[from..].IndexOf("--");
            if (offset < 0)
                return text.Length;
            var at = from + offset + 2;
            while (at < text.Length && text[at] == '-')
                at++;
            if (at < text.Length && text[at] == '>')
                return at + 1;
            if (text[at..].StartsWith("!>"))
                return at + 2;
            from = at;
        }
    }

    private int SkipPast(char c, int from)
    {
        var offset = html.AsSpan(from).IndexOf(c);
        return offset < 0 ? html.Length : from + offset + 1;
    }

    // ---- tags --------------------------------------------------------------------------------

    /// <summary>Reads a tag starting at the '&lt;'; <see langword="false"/> if the input ends inside it.</summary>
    private bool ReadTag(int at, bool isEndTag)
    {
        var text = html.AsSpan();
        var p = at + (isEndTag ? 2 : 1);
        var name = p;
        while (p < text.Length && !IsTagDelimiter(text[p]))
            p++;
        nameStart = name;
        nameLength = p - name;

        while (true)
        {
            p = SkipSpace(p);
            if (p == text.Length)
                return false;

            var c = text[p];
            if (c == '>')
            {
                p++;
                break;
            }

            if (c == '/')
            {
                if (++p == text.Length)
                    return false;
                if (text[p] == '>')
                {
                    IsSelfClosing = true;
                    p++;
                    break;
                }

                continue;
            }

            // The first character always belongs to the name, even '=' or a quote (a parse error).
            var attributeName = p++;
            while (p < text.Length && !IsTagDelimiter(text[p]) && text[p] != '=')
                p++;
            var attributeNameLength = p - attributeName;
            p = SkipSpace(p);
            if (p == text.Length)
                return false;
            if (text[p] != '=')
            {
                AddAttribute(attributeName, attributeNameLength, -1, 0);
                continue;
            }

            p = SkipSpace(p + 1);
            if (p == text.Length)
                return false;
            c = text[p];
            if (c is '"' or '\'')
            {
                var length = text[(p + 1)..].IndexOf(c);
                if (length < 0)
                    return false;
                AddAttribute(attributeName, attributeNameLength, p + 1, length);
                p += length + 2;
            }
            else if (c == '>')
            {
                AddAttribute(attributeName, attributeNameLength, -1, 0); // "href=>": no value
            }
            else
            {
                var value = p;
                while (p < text.Length && !IsSpace(text[p]) && text[p] != '>')
                    p++;
                if (p == text.Length)
                    return false;
                AddAttribute(attributeName, attributeNameLength, value, p - value);
            }
        }

        position = p;
        TokenType = isEndTag ? HtmlTokenType.EndTag : HtmlTokenType.StartTag;
        var tagName = TagName;
        TagId = tagName.Length <= MaxTagNameLength && TagIds.TryGetValue(tagName, out var id) ? id : HtmlTagId.Unknown;
        if (!isEndTag && !IsSelfClosing)
            StartRawContent();
        return true;
    }

    private void AddAttribute(int nameStart, int nameLength, int valueStart, int valueLength)
    {
        if (AttributeCount == attributes.Length)
            Array.Resize(ref attributes, attributes.Length * 2);
        attributes[AttributeCount++] = new Attribute(nameStart, nameLength, valueStart, valueLength);
    }

    private int SkipSpace(int p)
    {
        while (p < html.Length && IsSpace(html[p]))
            p++;
        return p;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f';

    private static bool IsTagDelimiter(char c) => IsSpace(c) || c is '/' or '>';

    // ---- raw text ----------------------------------------------------------------------------

    private void StartRawContent()
    {
        rawContent = TagId switch
        {
            HtmlTagId.Script => RawContent.Script,
            HtmlTagId.Style or HtmlTagId.Xmp or HtmlTagId.IFrame or HtmlTagId.NoEmbed or HtmlTagId.NoFrames or HtmlTagId.NoScript => RawContent.RawText,
            HtmlTagId.Title or HtmlTagId.TextArea => RawContent.ReplaceableText,
            HtmlTagId.PlainText => RawContent.PlainText,
            _ => RawContent.None,
        };
        rawId = TagId;
    }

    /// <summary>Returns the content of a raw-text element as one text token; its end tag is read as any other.</summary>
    private bool ReadRawContent()
    {
        var kind = rawContent;
        rawContent = RawContent.None;
        var start = position;
        var end = kind switch
        {
            RawContent.PlainText => html.Length,
            RawContent.Script => FindScriptEnd(start),
            _ => FindEndTag(start, rawId.ToHtmlTagName()),
        };
        if (end == start)
            return false;

        SetText(start, end - start, kind == RawContent.ReplaceableText ? TextContent.Replaceable : TextContent.Raw);
        position = end;
        return true;
    }

    /// <summary>
    /// The position of "&lt;/name" followed by a space, '/' or '&gt;' (any case), or of an end tag cut off by
    /// the end of the input; the end of the input if there is neither.
    /// </summary>
    private int FindEndTag(int from, string name)
    {
        var text = html.AsSpan();
        while (true)
        {
            var offset = text[from..].IndexOf("</");
            if (offset < 0)
                return text.Length;
            var at = from + offset;
            if (IsEndTag(at, name))
                return at;
            from = at + 2;
        }
    }

    /// <summary>Whether "&lt;/" at <paramref name="at"/> starts the end tag <paramref name="name"/>, or an end tag cut off by the end.</summary>
    private bool IsEndTag(int at, string name)
    {
        var text = html.AsSpan();
        var end = at + 2;
        while (end < text.Length && char.IsAsciiLetter(text[end]))
            end++;
        if (end == text.Length)
            return true;
        return IsTagDelimiter(text[end]) && text[(at + 2)..end].Equals(name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The end of a script's content: its "&lt;/script" end tag, skipping one written inside
    /// "&lt;!--&lt;script&gt;...&lt;/script&gt;" (the script data escape states).
    /// </summary>
    private int FindScriptEnd(int from)
    {
        var text = html.AsSpan();
        var escaped = false;
        var doubleEscaped = false;
        var dashes = 0;
        var p = from;
        while (p < text.Length)
        {
            if (!escaped)
            {
                var offset = text[p..].IndexOf('<');
                if (offset < 0)
                    return text.Length;
                p += offset;
                if (text[(p + 1)..].StartsWith("/") && IsEndTag(p, "script"))
                    return p;
                if (text[(p + 1)..].StartsWith("!--"))
                {
                    escaped = true;
                    dashes = 2; // "<!-->" ends the escape at once
                    p += 4;
                    continue;
                }

                p++;
                continue;
            }

            var c = text[p];
            if (c == '-')
            {
                dashes++;
                p++;
                continue;
            }

            if (c == '>' && dashes >= 2)
            {
                escaped = doubleEscaped = false;
                dashes = 0;
                p++;
                continue;
            }

            dashes = 0;
            if (c == '<')
            {
                var close = p + 1 < text.Length && text[p + 1] == '/';
                if (close && !doubleEscaped && IsEndTag(p, "script"))
                    return p;

                // "<script" opens the double escape, "</script" closes it; either needs a delimiter after.
                var nameStart = p + (close ? 2 : 1);
                var nameEnd = nameStart;
                while (nameEnd < text.Length && char.IsAsciiLetter(text[nameEnd]))
                    nameEnd++;
                if (close == doubleEscaped && nameEnd < text.Length && IsTagDelimiter(text[nameEnd])
                    && text[nameStart..nameEnd].Equals("script", StringComparison.OrdinalIgnoreCase))
                {
                    doubleEscaped = !doubleEscaped;
                    p = nameEnd;
                    continue;
                }
            }

            p++;
        }

        return text.Length;
    }

    // ---- character references ----------------------------------------------------------------

    /// <summary>
    /// Decodes the character references of data, replaceable text (title, textarea) or an attribute value, and
    /// replaces NUL by U+FFFD everywhere but in data; raw text only gets the replacement. In a value a reference
    /// without ';' followed by '=' or a letter or digit stays as written; a reference cut off by the end of the
    /// input stays as written.
    /// </summary>
    private ReadOnlyMemory<char> Decode(ReadOnlySpan<char> raw, ref char[] buffer, TextContent content, bool atEnd)
    {
        if (buffer.Length < raw.Length + 8)
            buffer = new char[Math.Max(raw.Length + 8, buffer.Length * 2)];
        var length = 0;
        var i = 0;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c == '\0' && content != TextContent.Data)
            {
                Append(ref buffer, ref length, "\uFFFD");
                i++;
                continue;
            }

            // '&' before a space, '<', '&' or the end of the text or value is just '&'.
            if (c != '&' || content == TextContent.Raw || i + 1 == raw.Length || raw[i + 1] is ' ' or '\t' or '\n' or '\r' or '\f' or '<' or '&')
            {
                Append(ref buffer, ref length, raw.Slice(i, 1));
                i++;
                continue;
            }

            var decoder = entityDecoder ??= new HtmlEntityDecoder();
            decoder.Reset();
            decoder.Push('&');
            var end = i + 1;
            while (end < raw.Length && decoder.Push(raw[end]))
                end++;

            var written = raw[i..end];
            if (end == raw.Length && atEnd)
            {
                Append(ref buffer, ref length, written); // cut off by the end of the input
            }
            else if (content == TextContent.AttributeValue && written[^1] != ';' && end < raw.Length && (raw[end] == '=' || char.IsAsciiLetterOrDigit(raw[end])))
            {
                Append(ref buffer, ref length, written); // "?a=1&copy=2" in a URL
            }
            else
            {
                Append(ref buffer, ref length, decoder.GetValue()); // the decoder takes a ';' that ends a reference
            }

            i = end;
        }

        return buffer.AsMemory(0, length);
    }

    private static void Append(ref char[] buffer, ref int length, ReadOnlySpan<char> value)
    {
        if (length + value.Length > buffer.Length)
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + value.Length));
        value.CopyTo(buffer.AsSpan(length));
        length += value.Length;
    }

    private enum Markup : byte
    {
        None,
        StartTag,
        EndTag,
        EmptyEndTag,
        Declaration,
        BogusComment,
        Truncated,
    }

    /// <summary>How text is decoded: references in data, replaceable text and values; NUL replaced in all but data.</summary>
    private enum TextContent : byte
    {
        Data,
        Raw,
        Replaceable,
        AttributeValue,
    }

    private enum RawContent : byte
    {
        None,
        RawText,
        ReplaceableText,
        Script,
        PlainText,
    }

    private readonly record struct Attribute(int NameStart, int NameLength, int ValueStart, int ValueLength);
}
