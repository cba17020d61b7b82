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
    // How far past a candidate separator its first text is looked for, and how far back an hr above it.
    private const int Lookahead = 40;
    private const int Lookbehind = 12;

    /// <summary>Renders <paramref name="html"/> into hinted lines.</summary>
    public static ReplyText Render(ReadOnlySpan<char> html)
    {
        var tokens = new List<HtmlToken>();
        using (var reader = new StringReader(html.ToString()))
        {
            var tokenizer = new HtmlTokenizer(reader) { IgnoreTruncatedTags = true };
            while (tokenizer.ReadNextToken(out var token))
                tokens.Add(token);
        }

        var hints = Classify(tokens);
        var result = ReplyText.Empty(html.Length / 3);
        using var segment = new StringWriter();
        var current = LineHint.None;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (hints[i] != current)
            {
                Flush(segment, current, result);
                current = hints[i];
            }
            tokens[i].WriteTo(segment);
        }
        Flush(segment, current, result);
        return result;
    }

    private static void Flush(StringWriter segment, LineHint hint, ReplyText result)
    {
        var builder = segment.GetStringBuilder();
        if (builder.Length == 0)
            return;
        var text = HtmlToText.Convert(builder.ToString());
        builder.Clear();
        if (text.Length > 0)
            result.Append(text, hint);
    }

    private static LineHint[] Classify(List<HtmlToken> tokens)
    {
        var hints = new LineHint[tokens.Count];

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
                if (IsSeparator(tokens, i))
                {
                    var start = StartOfSeparator(tokens, i);
                    for (var j = start; j < tokens.Count; j++)
                        hints[j] = LineHint.QuoteToEnd;
                    return hints;
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

                if (wrapper is null && HasClass(tag, "gmail_quote") && !tag.IsEmptyElement && tag.Id != HtmlTagId.BlockQuote)
                {
                    wrapper = tag.Name;
                    wrapperDepth = 1;
                    wrapperQuoted = false;
                    hints[i] = LineHint.Header;
                    continue;
                }
            }

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
        return hints;
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
    private static bool IsSeparator(List<HtmlToken> tokens, int index)
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
        var text = FirstText(tokens, index + 1);
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

    private static string FirstText(List<HtmlToken> tokens, int from)
    {
        for (var i = from; i < tokens.Count && i < from + Lookahead; i++)
        {
            if (tokens[i] is HtmlDataToken { Kind: HtmlTokenKind.Data } data && !string.IsNullOrWhiteSpace(data.Data))
                return data.Data.Length > ReplyVocabulary.MaxShortLineLength ? data.Data[..ReplyVocabulary.MaxShortLineLength] : data.Data;
        }
        return string.Empty;
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
