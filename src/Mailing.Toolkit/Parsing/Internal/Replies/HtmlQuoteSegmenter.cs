using System.Buffers;
using Mailing.Toolkit.Text;
using MimeKit.Text;

namespace Mailing.Toolkit.Parsing.Internal.Replies;

/// <summary>
/// Finds the quote containers of an HTML reply with MimeKit's tokenizer and renders each stretch of markup
/// between them with <see cref="HtmlToText"/>, each line hinted with what its container says.
/// </summary>
/// <remarks>
/// <para>
/// Containers: <c>blockquote</c> (Apple Mail, Thunderbird, Gmail, most webmail; not Gmail's indentation, which has
/// <c>border:none</c>), <c>.yahoo_quoted</c>, <c>.protonmail_quote</c>, <c>.zmail_extra</c> are quotes;
/// <c>.gmail_attr</c>, <c>.moz-cite-prefix</c> and the text of a <c>div.gmail_quote</c> before its blockquote are
/// attributions. Separators after which everything is the quoted message: <c>#divRplyFwdMsg</c>,
/// <c>#appendonsend</c>, <c>#OLK_SRC_BODY_SECTION</c>, <c>.OutlookMessageHeader</c>, and an <c>hr</c> or a
/// <c>border-top</c> box whose first text is a header field (<c>From:</c>, <c>Von:</c>, <c>От:</c>...).
/// </para>
/// <para>
/// One pass over the tokens with counters, no tree and no recursion; a container that never closes runs to the end
/// of the document. The lookahead for a separator's first text is bounded.
/// </para>
/// </remarks>
internal static class HtmlQuoteSegmenter
{
    // How far past a candidate separator its first text may be, and how far back an hr above it is looked for.
    private const int Lookahead = 40;
    private const int Lookbehind = 12;

    // Every class, id, tag and style the segmenter reacts to (below), matched loosely: a hit only means "look closer".
    private static readonly SearchValues<string> ContainerMarkers = SearchValues.Create(
        ["blockquote", "_quote", "gmail_attr", "moz-cite-prefix", "zmail_extra", "OutlookMessageHeader", "divRplyFwdMsg",
         "appendonsend", "OLK_SRC_BODY_SECTION", "border-top", "<hr"],
        StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// False when <paramref name="html"/> has none of the quote containers and separators this class recognizes: its
    /// rendering then has no hints, and splitting the plain rendering gives the same parts without tokenizing again.
    /// </summary>
    public static bool MayContainQuote(ReadOnlySpan<char> html) => html.ContainsAny(ContainerMarkers);

    /// <summary>Renders <paramref name="html"/> into hinted lines, at most <paramref name="maxTextLength"/> characters of text.</summary>
    public static ReplyText Render(string html, int maxTextLength)
    {
        var tokens = new List<HtmlToken>();
        using (var reader = new StringReader(html))
        {
            var tokenizer = new HtmlTokenizer(reader) { IgnoreTruncatedTags = true };
            while (tokenizer.ReadNextToken(out var token))
                tokens.Add(token);
        }

        var (hints, indents) = Classify(tokens);
        var result = ReplyText.Empty(Math.Min(html.Length / 3, maxTextLength));
        if (Array.TrueForAll(hints, hint => hint == LineHint.None) && Array.TrueForAll(indents, indent => !indent))
        {
            // No quote structure at all (most mail that is not a reply): render the markup as it is.
            var text = HtmlToText.Convert(html);
            result.Append(text.AsSpan(0, Math.Min(text.Length, maxTextLength)), LineHint.None);
            return result;
        }

        using var segment = new StringWriter();
        var current = LineHint.None;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (hints[i] != current)
            {
                if (!Flush(segment, current, result, maxTextLength))
                    return result;
                current = hints[i];
            }
            if (indents[i])
                segment.Write(((HtmlTagToken)tokens[i]).IsEndTag ? "</div>" : "<div>");
            else
                tokens[i].WriteTo(segment);
        }
        Flush(segment, current, result, maxTextLength);
        return result;
    }

    // Renders the markup collected for one segment; false once the text has reached its limit (markup such as
    // a run of hr elements renders longer than it is written).
    private static bool Flush(StringWriter segment, LineHint hint, ReplyText result, int maxTextLength)
    {
        var builder = segment.GetStringBuilder();
        if (builder.Length == 0)
            return true;
        var text = HtmlToText.Convert(builder.ToString());
        builder.Clear();
        var room = maxTextLength - result.Length;
        if (text.Length > 0)
            result.Append(text.AsSpan(0, Math.Min(text.Length, Math.Max(room, 0))), hint);
        return text.Length < room;
    }

    // The hint of each token, and which tokens are tags of a blockquote that only indents: those are written as a
    // div, so the text does not show them as quoted.
    private static (LineHint[] Hints, bool[] Indents) Classify(List<HtmlToken> tokens)
    {
        var hints = new LineHint[tokens.Count];
        var indents = new bool[tokens.Count];

        // For each token, the index of the first token with text at or after it: a separator's first text in O(1).
        var nextText = new int[tokens.Count + 1];
        nextText[tokens.Count] = tokens.Count;
        for (var i = tokens.Count - 1; i >= 0; i--)
            nextText[i] = tokens[i] is HtmlDataToken { Kind: HtmlTokenKind.Data } data && !string.IsNullOrWhiteSpace(data.Data) ? i : nextText[i + 1];

        // The open quote or attribution container: its tag name and how many elements of that name are open.
        string? container = null;
        var containerDepth = 0;
        var containerHint = LineHint.None;

        // An open div.gmail_quote: attribution until its first quote closes, new text (inline answers) after.
        string? wrapper = null;
        var wrapperDepth = 0;
        var wrapperQuoted = false;

        for (var i = 0; i < tokens.Count; i++)
        {
            var tag = tokens[i] as HtmlTagToken;
            if (container is not null)
            {
                hints[i] = containerHint;
                if (tag is not null && IsSameElement(tag, container) && --containerDepth == 0)
                {
                    container = null;
                    wrapperQuoted |= wrapper is not null;
                }
                else if (tag is not null && !tag.IsEndTag && !tag.IsEmptyElement && string.Equals(tag.Name, container, StringComparison.OrdinalIgnoreCase))
                {
                    containerDepth++;
                }
                continue;
            }

            if (tag is { IsEndTag: false })
            {
                if (IsSeparator(tokens, nextText, i))
                {
                    var start = StartOfSeparator(tokens, i);
                    for (var j = start; j < tokens.Count; j++)
                        hints[j] = LineHint.QuoteToEnd;
                    return (hints, indents);
                }

                var kind = ContainerKind(tag);
                if (kind != LineHint.None && !tag.IsEmptyElement && !tag.Id.IsEmptyElement())
                {
                    container = tag.Name;
                    containerDepth = 1;
                    containerHint = kind;
                    hints[i] = kind;
                    continue;
                }

                if (tag.Id == HtmlTagId.BlockQuote && !tag.IsEmptyElement)
                    indents[i] = true;

                if (wrapper is null && HasClass(tag, "gmail_quote") && !tag.IsEmptyElement && tag.Id != HtmlTagId.BlockQuote)
                {
                    wrapper = tag.Name;
                    wrapperDepth = 1;
                    wrapperQuoted = false;
                    hints[i] = LineHint.Header;
                    continue;
                }
            }

            // Outside a container, every blockquote end tag closes an indenting one (or is stray).
            if (tag is { IsEndTag: true, Id: HtmlTagId.BlockQuote })
                indents[i] = true;

            if (wrapper is not null)
            {
                hints[i] = wrapperQuoted ? LineHint.None : LineHint.Header;
                if (tag is not null && string.Equals(tag.Name, wrapper, StringComparison.OrdinalIgnoreCase))
                {
                    if (tag.IsEndTag)
                    {
                        if (--wrapperDepth == 0)
                            wrapper = null;
                    }
                    else if (!tag.IsEmptyElement)
                    {
                        wrapperDepth++;
                    }
                }
            }
        }
        return (hints, indents);
    }

    private static bool IsSameElement(HtmlTagToken tag, string name) =>
        tag.IsEndTag && string.Equals(tag.Name, name, StringComparison.OrdinalIgnoreCase);

    private static LineHint ContainerKind(HtmlTagToken tag)
    {
        if (tag.Id == HtmlTagId.BlockQuote)
        {
            // Gmail's "indent" is a blockquote without a border; everything else quotes.
            var style = Attribute(tag, "style");
            var cite = string.Equals(Attribute(tag, "type"), "cite", StringComparison.OrdinalIgnoreCase) || HasClass(tag, "gmail_quote");
            return !cite && style is not null && Compact(style).Contains("border:none", StringComparison.Ordinal) ? LineHint.None : LineHint.Quote;
        }

        if (HasClass(tag, "yahoo_quoted") || HasClass(tag, "protonmail_quote") || HasClass(tag, "zmail_extra")
            || (Attribute(tag, "id")?.StartsWith("yahoo_quoted", StringComparison.OrdinalIgnoreCase) ?? false))
            return LineHint.Quote;
        if (HasClass(tag, "gmail_attr") || HasClass(tag, "moz-cite-prefix"))
            return LineHint.Header;
        return LineHint.None;
    }

    // A start tag after which everything is the quoted message.
    private static bool IsSeparator(List<HtmlToken> tokens, int[] nextText, int index)
    {
        var tag = (HtmlTagToken)tokens[index];
        var id = Attribute(tag, "id");
        if (id is not null && (id.EndsWith("divRplyFwdMsg", StringComparison.OrdinalIgnoreCase)
            || id.EndsWith("appendonsend", StringComparison.OrdinalIgnoreCase)
            || id.Equals("OLK_SRC_BODY_SECTION", StringComparison.OrdinalIgnoreCase)))
            return true;
        if (HasClass(tag, "OutlookMessageHeader"))
            return true;

        // An hr, or a box with a top border (Outlook, Windows Mail), whose first text is a header field.
        var style = Attribute(tag, "style");
        var topBorder = style is not null && Compact(style).Contains("border-top", StringComparison.Ordinal);
        if (tag.Id != HtmlTagId.HR && !topBorder)
            return false;
        var next = nextText[index + 1];
        var text = next < tokens.Count && next - index <= Lookahead ? ((HtmlDataToken)tokens[next]).Data : string.Empty;
        if (text.Length > ReplyVocabulary.MaxShortLineLength)
            text = text[..ReplyVocabulary.MaxShortLineLength];
        return ReplyVocabulary.HeaderLabel(text) != ReplyVocabulary.HeaderField.None || ReplyVocabulary.IsOriginalMessageSeparator(text);
    }

    // The separator starts at an hr right above it, when only markup and white space lie between them.
    private static int StartOfSeparator(List<HtmlToken> tokens, int index)
    {
        for (var i = index - 1; i >= 0 && i >= index - Lookbehind; i--)
        {
            switch (tokens[i])
            {
                case HtmlTagToken { IsEndTag: false, Id: HtmlTagId.HR }:
                    return i;
                case HtmlDataToken data when !string.IsNullOrWhiteSpace(data.Data):
                    return index;
            }
        }
        return index;
    }

    private static string? Attribute(HtmlTagToken tag, string name)
    {
        foreach (var attribute in tag.Attributes)
        {
            if (string.Equals(attribute.Name, name, StringComparison.OrdinalIgnoreCase))
                return attribute.Value;
        }
        return null;
    }

    private static bool HasClass(HtmlTagToken tag, string name)
    {
        var classes = Attribute(tag, "class");
        if (classes is null)
            return false;
        foreach (var range in classes.AsSpan().SplitAny(' ', '\t', '\n', '\r', '\f'))
        {
            // Outlook.com prefixes classes of quoted markup: "x_gmail_quote", "ecxgmail_quote".
            var value = classes.AsSpan()[range];
            if (value.EndsWith(name, StringComparison.OrdinalIgnoreCase) && (value.Length == name.Length || value[^(name.Length + 1)] == '_'))
                return true;
        }
        return false;
    }

    // A style attribute without white space, lower case: "border-top: solid" becomes "border-top:solid".
    private static string Compact(string style)
    {
        var builder = new System.Text.StringBuilder(style.Length);
        foreach (var c in style)
        {
            if (!char.IsWhiteSpace(c))
                builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
