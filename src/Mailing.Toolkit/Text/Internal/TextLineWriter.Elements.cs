namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// What the writer does for particular elements: preformatted blocks, heading underlines, link targets, list
/// markers, table cell separators and rules. The line mechanics they stand on are in TextLineWriter.cs.
/// </summary>
internal sealed partial class TextLineWriter
{
    private const int RuleWidth = 40;

    // ---- preformatted -------------------------------------------------------------------------

    public void BeginPreformatted()
    {
        preDepth++;
        line.PreStart = true;
        line.PreNewlines = 0;
    }

    public void EndPreformatted()
    {
        preDepth--;
        line.PreNewlines = 0; // a trailing newline before </pre> is not a blank line
        DropBlankLine();
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
                        AppendQuotePrefix(QuoteDepth);
                }

                line.PreNewlines = 0;
            }

            // Leading spaces are content here: only the pending break and the prefix come first.
            line.PendingSpace = false;
            BeginRun(0);
            output.Append(text[start..i]);
        }
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

    // ---- headings -----------------------------------------------------------------------------

    /// <summary>Whether the open heading has written text (it is then underlined, and a block may close it).</summary>
    public bool HeadingHasText => line.HeadingHasText;

    /// <summary>Starts the outermost heading: the width of its text is measured from here for the underline.</summary>
    public void BeginHeading()
    {
        inHeading = true;
        line.HeadingHasText = false;
    }

    /// <summary>Ends the outermost heading, underlining it with <paramref name="underline"/> if it has text.</summary>
    public void EndHeading(char underline)
    {
        inHeading = false;
        if (line.HeadingHasText)
            Underline(underline);
    }

    private void Underline(char c)
    {
        var width = Math.Max(line.HeadingWidth, line.LineHasText ? output.Length - line.LineStart - line.TextStart : 0);
        if (width == 0)
            return;
        NewLine();
        AppendQuotePrefix(QuoteDepth);
        output.Append(' ', Indent);
        line.TextStart = output.Length - line.LineStart;
        line.LineHasText = true;
        output.Append(c, width);
    }

    // ---- links --------------------------------------------------------------------------------

    /// <summary>Whether the open link has written text.</summary>
    public bool LinkHasText => line.LinkStart >= 0;

    public void BeginLink()
    {
        openLinks++;
        line.LinkStart = -1;
        line.LinkHasImage = false;
    }

    /// <summary>Ends a link, writing its <paramref name="href"/> after its text (see <see cref="WriteLinkTarget"/>).</summary>
    public void EndLink(string? href)
    {
        openLinks--;
        WriteLinkTarget(href);
        line.LinkStart = -1;
    }

    /// <summary>Notes an image: a link whose only content is an image without alt text still shows its address.</summary>
    public void NoteImage()
    {
        if (openLinks > 0)
            line.LinkHasImage = true;
    }

    /// <summary>Writes " (url)" after a link's text, unless the text already says it.</summary>
    private void WriteLinkTarget(string? href)
    {
        if (!includeLinkUrls || href is null)
            return;
        var target = LinkTargets.ForDisplay(href);
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
        if (textLength <= target.Length && LinkTargets.IsSame(output.ToString(line.LinkStart, textLength), target))
            return;

        var spaceAfter = line.PendingSpace;
        line.PendingSpace = true;
        BeginRun(target.Length + 2);
        output.Append('(').Append(target).Append(')');
        line.PendingSpace = spaceAfter;
    }

    // ---- lists, tables, rules -----------------------------------------------------------------

    /// <summary>Puts a list marker on the next line: a bullet if <paramref name="number"/> is -1, else "n.".</summary>
    public void RequestMarker(int number, int indent)
    {
        line.HasMarker = true;
        line.MarkerNumber = number;
        line.MarkerIndent = indent;
    }

    /// <summary>Drops a marker not written yet: an empty item leaves no marker behind.</summary>
    public void DropMarker() => line.HasMarker = false;

    /// <summary>Joins the next text to the line with " | " (the next table cell of a row with text).</summary>
    public void RequestSeparator()
    {
        // The separator replaces any break left by the previous cell's content.
        line.PendingBreak = 0;
        line.PendingSeparator = true;
    }

    public void CancelSeparator() => line.PendingSeparator = false;

    public void WriteRule()
    {
        var width = wrapColumn > 0 ? Math.Min(RuleWidth, wrapColumn) : RuleWidth;
        BeginRun(width);
        output.Append('-', width);
    }
}
