using System.Text;
using MimeKit.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// The state machine behind <see cref="HtmlToText"/>: one pass over the tokens of <see cref="HtmlTokenReader"/>,
/// an explicit stack of open elements (no recursion, so nesting depth costs memory, never the call stack) and a
/// line writer that turns block boundaries into at most one blank line. One instance converts one document.
/// </summary>
internal sealed class HtmlToTextConverter
{
    // Quote and list levels deeper than this are not indented further: each line's prefix stays
    // bounded, so the output of absurdly nested input stays linear in its size.
    private const int MaxVisualDepth = 10;
    private const int MaxIndent = 2 * MaxVisualDepth;
    private const int RuleWidth = 40;

    private static readonly int TagIdCount = (int)Enum.GetValues<HtmlTagId>().Max() + 1;

    private readonly StringBuilder output;
    private readonly int wrapColumn;
    private readonly bool includeLinkUrls;

    // Open elements. nearest[id] is the index of the innermost open element with that tag id, each
    // frame linking to the previous one: an end tag finds its element in O(1) (or learns it is stray),
    // and popping is amortized O(1) because each frame is pushed once.
    private Frame[] stack = new Frame[32];
    private int depth;
    private readonly int[] nearest;

    // Structural state, restored by the frames as they close.
    private int quoteDepth;
    private int indent;
    private int preDepth;
    private int headingDepth;
    private int listTop = -1;
    private int headingAt = -1;

    // Content that is not rendered: raw-text elements (script, style...) and the document head.
    private bool skipping;
    private HtmlTagId skipId;
    private int skipNesting;
    private bool inHead;

    // A hidden element (display:none) is written, then rolled back when it closes; an element that
    // never closes stays visible, so broken markup cannot hide the rest of the message.
    private int hiddenAt = -1;
    private int hiddenLength;
    private LineState hiddenState;

    private LineState line;

    private int TableTop => nearest[(int)HtmlTagId.Table];

    private int LinkTop => nearest[(int)HtmlTagId.A];

    private int ParagraphTop => nearest[(int)HtmlTagId.P];

    public HtmlToTextConverter(HtmlToTextOptions options, int capacity)
    {
        output = new StringBuilder(capacity);
        nearest = new int[TagIdCount];
        Array.Fill(nearest, -1);
        wrapColumn = Math.Max(options.WrapColumn, 0);
        includeLinkUrls = options.IncludeLinkUrls;
        line.LinkStart = -1;
    }

    public string Convert(string html)
    {
        var reader = new HtmlTokenReader(html);
        while (reader.Read())
        {
            // Comments (Outlook conditional comments included), doctypes and CDATA carry no text; the
            // text of skipped elements is never decoded.
            switch (reader.TokenType)
            {
                case HtmlTokenType.Text when !skipping:
                    OnText(reader.Text);
                    break;
                case HtmlTokenType.StartTag:
                    OnStartTag(reader);
                    break;
                case HtmlTokenType.EndTag:
                    OnEndTag(reader);
                    break;
            }
        }

        return Finish();
    }

    // ---- tokens -------------------------------------------------------------------------------

    private void OnText(ReadOnlySpan<char> data)
    {
        if (inHead)
        {
            if (IsWhiteSpace(data))
                return;
            inHead = false;
        }

        if (preDepth > 0)
            WritePreformatted(data);
        else
            WriteFlow(data);
    }

    private void OnStartTag(HtmlTokenReader tag)
    {
        var id = tag.TagId;
        if (skipping)
        {
            if (IsSkipTag(tag, skipId))
                skipNesting++;
            return;
        }

        switch (id)
        {
            case HtmlTagId.Head:
                inHead = true;
                return;
            case HtmlTagId.Html or HtmlTagId.Body:
                inHead = false;
                return;
            case HtmlTagId.Meta or HtmlTagId.Link or HtmlTagId.Base or HtmlTagId.BaseFont or HtmlTagId.BGSound:
                return;
        }

        if (IsSkippedContent(tag))
        {
            skipping = true;
            skipId = id;
            skipNesting = 1;
            return;
        }

        // Anything else ends an unclosed head, as it does in a browser.
        inHead = false;
        if (id == HtmlTagId.Unknown)
            return; // custom and namespaced tags (o:p, v:shape) are transparent

        CloseImplied(id);
        var hidden = IsHidden(tag);
        if (id.IsEmptyElement())
        {
            if (!hidden)
                OpenVoid(tag);
            return;
        }

        var index = Push(id);
        if (hidden && hiddenAt < 0)
        {
            hiddenAt = index;
            hiddenLength = output.Length;
            hiddenState = line;
        }

        Open(tag, index);

        // <div/> in XHTML-style mail: treat as opened and closed at once.
        if (tag.IsSelfClosing)
            PopTo(index);
    }

    private void OnEndTag(HtmlTokenReader tag)
    {
        var id = tag.TagId;
        if (skipping)
        {
            if (IsSkipTag(tag, skipId) && --skipNesting == 0)
                skipping = false;
            return;
        }

        switch (id)
        {
            case HtmlTagId.Head:
                inHead = false;
                return;
            case HtmlTagId.Br:
                LineBreak(); // browsers read </br> as <br>
                return;
        }

        // A stray end tag, or one whose element is outside the innermost table, is ignored as a
        // browser ignores it; a stray </p> reads as an empty paragraph.
        var at = id == HtmlTagId.Unknown ? -1 : nearest[(int)id];
        if (at < 0 || at < TableTop)
        {
            if (id == HtmlTagId.P)
                Paragraph();
            return;
        }

        PopTo(at);
    }

    // ---- elements -----------------------------------------------------------------------------

    private void OpenVoid(HtmlTokenReader tag)
    {
        switch (tag.TagId)
        {
            case HtmlTagId.Br:
                LineBreak();
                break;
            case HtmlTagId.HR:
                Paragraph();
                WriteRule();
                Paragraph();
                break;
            case HtmlTagId.Image:
                if (LinkTop >= 0)
                    line.LinkHasImage = true;
                if (tag.FindAttribute("alt") is >= 0 and var alt)
                    WriteFlow(tag.GetAttributeValue(alt));
                break;
        }
    }

    /// <summary>
    /// Closes what an HTML parser closes implicitly: a block ends the open paragraph; a new item, row,
    /// cell or link ends the open one. A block also ends a link or heading that already has text, so an
    /// unclosed <c>a</c> or <c>h2</c> cannot swallow the rest of the message (a browser would let it).
    /// Nothing is closed across a table boundary.
    /// </summary>
    private void CloseImplied(HtmlTagId id)
    {
        if (IsBlock(id))
        {
            var table = TableTop;
            if (ParagraphTop > table)
                PopTo(ParagraphTop);
            if (LinkTop > table && line.LinkStart >= 0)
                PopTo(LinkTop);
            if (headingAt > table && line.HeadingHasText)
                PopTo(headingAt);
        }

        switch (id)
        {
            case HtmlTagId.LI when listTop >= 0 && stack[listTop].Child > TableTop:
                PopTo(stack[listTop].Child);
                break;
            case HtmlTagId.TR when TableTop >= 0 && stack[TableTop].Child >= 0:
                PopTo(stack[TableTop].Child);
                break;
            case HtmlTagId.TD or HtmlTagId.TH when TableTop >= 0 && stack[TableTop].Cell >= 0:
                PopTo(stack[TableTop].Cell);
                break;
            case HtmlTagId.A when LinkTop > TableTop:
                PopTo(LinkTop);
                break;
        }
    }

    private void Open(HtmlTokenReader tag, int index)
    {
        ref var frame = ref stack[index];
        switch (tag.TagId)
        {
            case HtmlTagId.P or HtmlTagId.DL or HtmlTagId.Figure or HtmlTagId.FieldSet:
                Paragraph();
                break;

            case var id when IsLineBlock(id):
                RequestBreak(1);
                break;

            case HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.H4 or HtmlTagId.H5 or HtmlTagId.H6:
                Paragraph();
                if (headingDepth++ == 0)
                {
                    headingAt = index;
                    line.HeadingHasText = false;
                }
                break;

            case HtmlTagId.BlockQuote:
                Paragraph();
                quoteDepth++;
                break;

            case HtmlTagId.Pre or HtmlTagId.Xmp or HtmlTagId.Listing or HtmlTagId.PlainText:
                Paragraph();
                preDepth++;
                line.PreStart = true;
                line.PreNewlines = 0;
                break;

            case HtmlTagId.UL or HtmlTagId.OL or HtmlTagId.Menu or HtmlTagId.Dir:
                frame.Outer = listTop;
                frame.Base = listTop >= 0 ? Math.Min(stack[listTop].Base + 2, MaxIndent) : indent;
                frame.Number = tag.TagId == HtmlTagId.OL ? GetStart(tag) : 0;
                frame.Child = -1;
                RequestBreak(listTop >= 0 ? 1 : 2);
                listTop = index;
                break;

            case HtmlTagId.LI:
                OpenListItem(ref frame, index);
                break;

            case HtmlTagId.DD:
                RequestBreak(1);
                frame.SavedIndent = indent;
                indent = Math.Min(indent + 2, MaxIndent);
                break;

            case HtmlTagId.Table:
                RequestBreak(1);
                line.PendingSeparator = false;
                frame.Child = -1;
                frame.Cell = -1;
                break;

            case HtmlTagId.TR:
                line.PendingSeparator = false;
                RequestBreak(1);
                frame.Outer = TableTop;
                if (frame.Outer >= 0)
                {
                    stack[frame.Outer].Child = index;
                    stack[frame.Outer].RowHasText = false;
                }
                break;

            case HtmlTagId.TD or HtmlTagId.TH:
                frame.Outer = TableTop;
                if (frame.Outer >= 0)
                {
                    stack[frame.Outer].Cell = index;
                    if (stack[frame.Outer].RowHasText)
                    {
                        // The separator replaces any break left by the previous cell's content.
                        line.PendingBreak = 0;
                        line.PendingSeparator = true;
                    }
                }
                break;

            case HtmlTagId.A:
                frame.Href = tag.FindAttribute("href") is >= 0 and var href ? tag.GetAttributeValue(href).ToString() : null;
                line.LinkStart = -1;
                line.LinkHasImage = false;
                break;
        }
    }

    private void OpenListItem(ref Frame frame, int index)
    {
        int number = -1, baseIndent = indent;
        frame.Outer = listTop;
        if (listTop >= 0)
        {
            ref var list = ref stack[listTop];
            list.Child = index;
            baseIndent = list.Base;
            if (list.Id == HtmlTagId.OL)
                number = list.Number++;
        }

        RequestBreak(1);
        line.HasMarker = true;
        line.MarkerNumber = number;
        line.MarkerIndent = baseIndent;
        frame.SavedIndent = indent;
        indent = baseIndent + (number < 0 ? 2 : CountDigits(number) + 2);
    }

    private void Pop()
    {
        var index = --depth;
        ref var frame = ref stack[index];
        nearest[(int)frame.Id] = frame.PreviousSame;
        Close(ref frame, index);

        if (index == hiddenAt)
        {
            hiddenAt = -1;
            output.Length = hiddenLength;
            line = hiddenState;
        }

        frame = default; // drop the href reference
    }

    private void PopTo(int index)
    {
        while (depth > index)
            Pop();
    }

    private void Close(ref Frame frame, int index)
    {
        switch (frame.Id)
        {
            case HtmlTagId.P or HtmlTagId.DL or HtmlTagId.Figure or HtmlTagId.FieldSet:
                Paragraph();
                break;

            case var id when IsLineBlock(id):
                RequestBreak(1);
                break;

            case HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.H4 or HtmlTagId.H5 or HtmlTagId.H6:
                if (--headingDepth == 0)
                {
                    headingAt = -1;
                    if (line.HeadingHasText)
                        Underline(frame.Id == HtmlTagId.H1 ? '=' : '-');
                }
                Paragraph();
                break;

            case HtmlTagId.BlockQuote:
                Paragraph();
                quoteDepth--;
                break;

            case HtmlTagId.Pre or HtmlTagId.Xmp or HtmlTagId.Listing or HtmlTagId.PlainText:
                preDepth--;
                line.PreNewlines = 0; // a trailing newline before </pre> is not a blank line
                DropBlankLine();
                Paragraph();
                break;

            case HtmlTagId.UL or HtmlTagId.OL or HtmlTagId.Menu or HtmlTagId.Dir:
                listTop = frame.Outer;
                RequestBreak(listTop >= 0 ? 1 : 2);
                break;

            case HtmlTagId.LI:
                if (frame.Outer >= 0 && stack[frame.Outer].Child == index)
                    stack[frame.Outer].Child = -1;
                indent = frame.SavedIndent;
                line.HasMarker = false; // an empty item leaves no marker behind
                RequestBreak(1);
                break;

            case HtmlTagId.DD:
                indent = frame.SavedIndent;
                RequestBreak(1);
                break;

            case HtmlTagId.Table:
                line.PendingSeparator = false;
                RequestBreak(1);
                break;

            case HtmlTagId.TR:
                if (frame.Outer >= 0 && stack[frame.Outer].Child == index)
                    stack[frame.Outer].Child = -1;
                line.PendingSeparator = false;
                RequestBreak(1);
                break;

            case HtmlTagId.TD or HtmlTagId.TH:
                if (frame.Outer >= 0 && stack[frame.Outer].Cell == index)
                    stack[frame.Outer].Cell = -1;
                break;

            case HtmlTagId.A:
                WriteLinkTarget(frame.Href);
                line.LinkStart = -1;
                break;
        }
    }

    private int Push(HtmlTagId id)
    {
        if (depth == stack.Length)
            Array.Resize(ref stack, depth * 2);
        stack[depth] = new Frame { Id = id, PreviousSame = nearest[(int)id] };
        nearest[(int)id] = depth;
        return depth++;
    }

    private string Finish()
    {
        // Close what the markup left open (links still get their URL, headings their underline)
        // without rolling back an unclosed hidden element.
        hiddenAt = -1;
        PopTo(0);

        var end = output.Length;
        while (end > 0 && char.IsWhiteSpace(output[end - 1]))
            end--;
        return output.ToString(0, end);
    }

    // ---- line writer --------------------------------------------------------------------------

    /// <summary>Asks for a line break (1) or a blank line (2) before the next text; requests coalesce.</summary>
    private void RequestBreak(int kind)
    {
        if (line.PendingSeparator)
            return; // the next table cell goes on the same line
        if (kind == 2 && listTop >= 0)
            kind = 1; // list items stay compact

        if (line.PendingBreak == 0 || quoteDepth < line.BreakQuoteDepth)
            line.BreakQuoteDepth = quoteDepth;
        if (kind > line.PendingBreak)
            line.PendingBreak = kind;
    }

    private void Paragraph() => RequestBreak(2);

    private void LineBreak()
    {
        if (preDepth > 0)
        {
            line.PreNewlines++;
            return;
        }

        // <br> ends the line; a second one in a row makes a blank line.
        RequestBreak(line.PendingBreak == 0 ? 1 : 2);
    }

    /// <summary>
    /// Prepares the output for an unbreakable run of <paramref name="length"/> characters: writes the
    /// pending separator, line break or space, the line prefix, and wraps before the run if it would
    /// pass the wrap column. The caller appends the run.
    /// </summary>
    private void BeginRun(int length)
    {
        if (line.PendingSeparator && line.LineHasText)
        {
            output.Append(" | ");
            line.IsTableRow = true;
            line.PendingBreak = 0;
            line.PendingSpace = false;
        }
        else if (line.PendingBreak > 0)
        {
            if (output.Length > 0)
            {
                if (line.LineHasText)
                    NewLine();
                if (line.PendingBreak == 2)
                {
                    // A blank line between quote levels belongs to the outer one.
                    AppendQuotePrefix(Math.Min(line.BreakQuoteDepth, quoteDepth));
                    NewLine();
                }
            }

            line.PendingBreak = 0;
        }

        line.PendingSeparator = false;
        if (!line.LineHasText)
        {
            WriteLinePrefix();
        }
        else if (line.PendingSpace)
        {
            // Rows of a data table are never wrapped; text in a layout table's single cell is.
            if (wrapColumn > 0 && !line.IsTableRow && output.Length - line.LineStart + 1 + length > wrapColumn)
            {
                NewLine();
                WriteLinePrefix();
            }
            else
            {
                output.Append(' ');
            }
        }

        line.PendingSpace = false;
        if (TableTop >= 0)
            stack[TableTop].RowHasText = true;
        if (headingDepth > 0 && !line.HeadingHasText)
        {
            line.HeadingHasText = true;
            line.HeadingWidth = 0; // lines before the heading's first text are not part of it
        }
        if (LinkTop >= 0 && line.LinkStart < 0)
            line.LinkStart = output.Length;
    }

    private void WriteLinePrefix()
    {
        AppendQuotePrefix(quoteDepth);
        if (line.HasMarker)
        {
            output.Append(' ', line.MarkerIndent);
            if (line.MarkerNumber < 0)
                output.Append("- ");
            else
                output.Append(line.MarkerNumber).Append(". ");
            line.HasMarker = false;
        }
        else
        {
            output.Append(' ', indent);
        }

        line.TextStart = output.Length - line.LineStart;
        line.LineHasText = true;
    }

    private void AppendQuotePrefix(int level)
    {
        for (var i = Math.Min(level, MaxVisualDepth); i > 0; i--)
            output.Append("> ");
    }

    private void NewLine()
    {
        TrimLineEnd();
        if (headingDepth > 0 && line.LineHasText)
            line.HeadingWidth = Math.Max(line.HeadingWidth, output.Length - line.LineStart - line.TextStart);
        output.Append('\n');
        line.LineStart = output.Length;
        line.LineHasText = false;
        line.IsTableRow = false;
        line.TextStart = 0;
    }

    private void TrimLineEnd()
    {
        var end = output.Length;
        while (end > line.LineStart && output[end - 1] is ' ' or '\t')
            end--;
        output.Length = end;
    }

    /// <summary>Removes the current line if it holds nothing but its prefix (the end of a pre block).</summary>
    private void DropBlankLine()
    {
        if (!line.LineHasText)
            return;
        TrimLineEnd();
        if (output.Length - line.LineStart <= line.TextStart)
        {
            output.Length = line.LineStart;
            line.LineHasText = false;
        }
    }

    /// <summary>Writes flowing text: whitespace collapses to one space, runs are never broken.</summary>
    private void WriteFlow(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (IsWhiteSpace(text[i]))
            {
                line.PendingSpace = true;
                i++;
                continue;
            }

            var start = i;
            var visible = false;
            for (; i < text.Length && !IsWhiteSpace(text[i]); i++)
                visible |= !IsInvisible(text[i]);

            // Runs of zero-width characters are preheader padding: nothing to show.
            if (visible)
            {
                BeginRun(i - start);
                output.Append(text[start..i]);
            }
        }
    }

    /// <summary>Writes preformatted text as is, prefixing each line with the quote and list indent.</summary>
    private void WritePreformatted(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '\n' or '\r')
            {
                if (c == '\n' && !line.PreStart)
                    line.PreNewlines++;
                line.PreStart = c == '\r' && line.PreStart; // the newline right after <pre> is not content
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && text[i] is not ('\n' or '\r'))
                i++;

            line.PreStart = false;
            if (line.PreNewlines > 0)
            {
                for (var n = line.PreNewlines; n > 0; n--)
                {
                    NewLine();
                    if (n > 1)
                        AppendQuotePrefix(quoteDepth);
                }

                line.PreNewlines = 0;
            }

            // Leading spaces are content here: only the pending break and the prefix come first.
            line.PendingSpace = false;
            BeginRun(0);
            output.Append(text[start..i]);
        }
    }

    private void WriteRule()
    {
        var width = wrapColumn > 0 ? Math.Min(RuleWidth, wrapColumn) : RuleWidth;
        BeginRun(width);
        output.Append('-', width);
    }

    private void Underline(char c)
    {
        var width = Math.Max(line.HeadingWidth, line.LineHasText ? output.Length - line.LineStart - line.TextStart : 0);
        if (width == 0)
            return;
        NewLine();
        AppendQuotePrefix(quoteDepth);
        output.Append(' ', indent);
        line.TextStart = output.Length - line.LineStart;
        line.LineHasText = true;
        output.Append(c, width);
    }

    /// <summary>Writes " (url)" after a link's text, unless the text already says it.</summary>
    private void WriteLinkTarget(string? href)
    {
        if (!includeLinkUrls || href is null)
            return;
        var target = DisplayTarget(href);
        if (target.Length == 0)
            return;

        if (line.LinkStart < 0)
        {
            // An image without alt text: the address is the only thing to show. An empty link shows nothing.
            if (!line.LinkHasImage)
                return;
            BeginRun(target.Length);
            output.Append(target);
            return;
        }

        var textLength = output.Length - line.LinkStart;
        if (textLength <= target.Length && SameTarget(output.ToString(line.LinkStart, textLength), target))
            return;

        var spaceAfter = line.PendingSpace;
        line.PendingSpace = true;
        BeginRun(target.Length + 2);
        output.Append('(').Append(target).Append(')');
        line.PendingSpace = spaceAfter;
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>What a reader should see of an href: the address of a mailto:, nothing for page anchors and scripts.</summary>
    private static string DisplayTarget(string href)
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
    private static bool SameTarget(string text, string target)
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

    /// <summary>Elements whose content is never text for a reader: scripts, styles, the title, form controls, embeds.</summary>
    private static bool IsSkippedContent(HtmlTokenReader tag) => tag.TagId switch
    {
        HtmlTagId.Script or HtmlTagId.Style or HtmlTagId.Title or HtmlTagId.TextArea or HtmlTagId.NoScript
            or HtmlTagId.IFrame or HtmlTagId.NoEmbed or HtmlTagId.NoFrames or HtmlTagId.Select or HtmlTagId.Object
            or HtmlTagId.Applet or HtmlTagId.DataList => !tag.IsSelfClosing,
        HtmlTagId.Unknown => !tag.IsSelfClosing && tag.TagName.Equals("template", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Blocks that start and end a line (paragraph-like blocks, lists, tables and the rest are handled apart).</summary>
    private static bool IsLineBlock(HtmlTagId id) => id is HtmlTagId.Div or HtmlTagId.Section or HtmlTagId.Article
        or HtmlTagId.Header or HtmlTagId.Footer or HtmlTagId.Main or HtmlTagId.Nav or HtmlTagId.Aside or HtmlTagId.Center
        or HtmlTagId.Address or HtmlTagId.Caption or HtmlTagId.FigCaption or HtmlTagId.Details or HtmlTagId.Summary
        or HtmlTagId.Legend or HtmlTagId.Form or HtmlTagId.DT or HtmlTagId.Dialog;

    /// <summary>Blocks that end an open paragraph (and a runaway link or heading).</summary>
    private static bool IsBlock(HtmlTagId id) => id is HtmlTagId.P or HtmlTagId.Div or HtmlTagId.Table
        or HtmlTagId.UL or HtmlTagId.OL or HtmlTagId.LI or HtmlTagId.DL or HtmlTagId.DT or HtmlTagId.DD
        or HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.H4 or HtmlTagId.H5 or HtmlTagId.H6
        or HtmlTagId.BlockQuote or HtmlTagId.Pre or HtmlTagId.Xmp or HtmlTagId.Listing or HtmlTagId.PlainText
        or HtmlTagId.HR or HtmlTagId.Section or HtmlTagId.Article or HtmlTagId.Aside or HtmlTagId.Header
        or HtmlTagId.Footer or HtmlTagId.Main or HtmlTagId.Nav or HtmlTagId.Address or HtmlTagId.Center
        or HtmlTagId.Details or HtmlTagId.Summary or HtmlTagId.Dialog or HtmlTagId.Figure or HtmlTagId.FigCaption
        or HtmlTagId.FieldSet or HtmlTagId.Form or HtmlTagId.Menu or HtmlTagId.Dir;

    private static bool IsSkipTag(HtmlTokenReader tag, HtmlTagId id) =>
        tag.TagId == id && (id != HtmlTagId.Unknown || tag.TagName.Equals("template", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether an element is hidden from readers (style display:none, or the hidden attribute).</summary>
    private static bool IsHidden(HtmlTokenReader tag)
    {
        for (var i = 0; i < tag.AttributeCount; i++)
        {
            var name = tag.GetAttributeName(i);
            if (name.Equals("style", StringComparison.OrdinalIgnoreCase))
            {
                if (HasDisplayNone(tag.GetAttributeValue(i)))
                    return true;
            }
            else if (name.Equals("hidden", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasDisplayNone(ReadOnlySpan<char> style)
    {
        int i;
        while ((i = style.IndexOf("display", StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            style = style[(i + "display".Length)..];
            var value = style.TrimStart();
            if (value.Length > 0 && value[0] == ':' && value[1..].TrimStart().StartsWith("none", StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }

    private static int GetStart(HtmlTokenReader tag) =>
        tag.FindAttribute("start") is >= 0 and var at
            && int.TryParse(tag.GetAttributeValue(at), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var start)
            && start is >= 0 and < 1_000_000_000 ? start : 1;

    private static int CountDigits(int number)
    {
        var digits = 1;
        while ((number /= 10) > 0)
            digits++;
        return digits;
    }

    private static bool IsWhiteSpace(char c) => c <= ' ' || c == '\u00A0' || (c > '\u007F' && char.IsWhiteSpace(c));

    private static bool IsWhiteSpace(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!IsWhiteSpace(c))
                return false;
        }

        return true;
    }

    /// <summary>Zero-width and formatting characters that mail templates pad preheaders with.</summary>
    private static bool IsInvisible(char c) => c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or '\u00AD' or '\u034F' or '\u180E';

    /// <summary>An open element. Which fields mean something depends on the element.</summary>
    private struct Frame
    {
        public HtmlTagId Id;

        /// <summary>The index of the next open element with the same id, -1 if none.</summary>
        public int PreviousSame;

        /// <summary>List, item, row, cell: the index of the enclosing list or table frame.</summary>
        public int Outer;

        /// <summary>List: the open item. Table: the open row.</summary>
        public int Child;

        /// <summary>Table: the open cell.</summary>
        public int Cell;

        /// <summary>Table: whether the open row has written text (the next cell gets a separator).</summary>
        public bool RowHasText;

        /// <summary>List: the indent of its markers.</summary>
        public int Base;

        /// <summary>Ordered list: the next item number.</summary>
        public int Number;

        /// <summary>Item, dd: the indent to restore on close.</summary>
        public int SavedIndent;

        /// <summary>Link: its href.</summary>
        public string? Href;
    }

    /// <summary>The writer's position and pending decisions; copied to roll back a hidden element.</summary>
    private struct LineState
    {
        /// <summary>0: nothing; 1: a line break; 2: a blank line, before the next text.</summary>
        public int PendingBreak;
        public int BreakQuoteDepth;
        public bool PendingSpace;
        public bool PendingSeparator;
        public int LineStart;
        public int TextStart;
        public bool LineHasText;

        /// <summary>Whether the line holds cells joined by separators (never wrapped).</summary>
        public bool IsTableRow;

        /// <summary>Whether the next line starts with a list marker: a bullet if MarkerNumber is -1, else "n.".</summary>
        public bool HasMarker;
        public int MarkerNumber;
        public int MarkerIndent;
        public int LinkStart;
        public bool LinkHasImage;
        public int HeadingWidth;
        public bool HeadingHasText;
        public int PreNewlines;
        public bool PreStart;
    }
}
