using System.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// The output side of <see cref="HtmlToTextConverter"/>: lays text out in lines. Block boundaries arrive as break
/// requests that coalesce into at most one blank line; each line gets its quote prefix, indent or list marker;
/// flowing text collapses whitespace and wraps at the wrap column between runs; preformatted text keeps its lines.
/// The converter sets the context (quote depth, indent, open list, heading, link, table row) as elements open and close.
/// </summary>
internal sealed partial class TextLineWriter
{
    /// <summary>
    /// Quote and list levels deeper than this are not indented further: each line's prefix stays bounded, so the
    /// output of absurdly nested input stays linear in its size.
    /// </summary>
    public const int MaxVisualDepth = 10;

    /// <summary>The widest indent, reached at <see cref="MaxVisualDepth"/> list levels.</summary>
    public const int MaxIndent = 2 * MaxVisualDepth;

    private readonly StringBuilder output;
    private readonly int wrapColumn;
    private readonly bool includeLinkUrls;

    private LineState line;
    private int preDepth;
    private int openLinks;
    private bool inHeading;

    // The point a hidden element rolls back to (see SaveRollbackPoint).
    private int rollbackLength;
    private LineState rollbackLine;

    public TextLineWriter(HtmlToTextOptions options, int capacity)
    {
        output = new StringBuilder(capacity);
        wrapColumn = Math.Max(options.WrapColumn, 0);
        includeLinkUrls = options.IncludeLinkUrls;
        line.LinkStart = -1;
    }

    /// <summary>The number of open blockquotes: each line starts with that many "&gt; ".</summary>
    public int QuoteDepth { get; set; }

    /// <summary>The indent of lines without a list marker.</summary>
    public int Indent { get; set; }

    /// <summary>Whether a list is open: blank lines then become line breaks, so list items stay compact.</summary>
    public bool InList { get; set; }

    /// <summary>
    /// Whether text was written since the innermost table's row began (the next cell then gets a separator). The
    /// converter clears it per row and keeps an outer table's flag in the inner table's frame.
    /// </summary>
    public bool RowHasText { get; set; }

    /// <summary>Remembers the output and line state, to drop what a hidden element writes when it closes.</summary>
    public void SaveRollbackPoint()
    {
        rollbackLength = output.Length;
        rollbackLine = line;
    }

    /// <summary>Returns to the point saved last, dropping what was written since.</summary>
    public void RollBack()
    {
        output.Length = rollbackLength;
        line = rollbackLine;
    }

    // ---- breaks -------------------------------------------------------------------------------

    /// <summary>Asks for a line break (1) or a blank line (2) before the next text; requests coalesce.</summary>
    public void RequestBreak(int kind)
    {
        if (line.PendingSeparator)
            return; // the next table cell goes on the same line
        if (kind == 2 && InList)
            kind = 1; // list items stay compact

        if (line.PendingBreak == 0 || QuoteDepth < line.BreakQuoteDepth)
            line.BreakQuoteDepth = QuoteDepth;
        if (kind > line.PendingBreak)
            line.PendingBreak = kind;
    }

    public void Paragraph() => RequestBreak(2);

    public void LineBreak()
    {
        if (preDepth > 0)
        {
            line.PreNewlines++;
            return;
        }

        // <br> ends the line; a second one in a row makes a blank line.
        RequestBreak(line.PendingBreak == 0 ? 1 : 2);
    }

    // ---- text ---------------------------------------------------------------------------------

    /// <summary>Writes character data: preformatted inside pre, flowing elsewhere.</summary>
    public void WriteText(ReadOnlySpan<char> text)
    {
        if (preDepth > 0)
            WritePreformatted(text);
        else
            WriteFlow(text);
    }

    /// <summary>Writes flowing text: whitespace collapses to one space, runs are never broken.</summary>
    public void WriteFlow(ReadOnlySpan<char> text)
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

    /// <summary>The text written, without trailing whitespace.</summary>
    public string GetText()
    {
        var end = output.Length;
        while (end > 0 && char.IsWhiteSpace(output[end - 1]))
            end--;
        return output.ToString(0, end);
    }

    // ---- lines --------------------------------------------------------------------------------

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
                    AppendQuotePrefix(Math.Min(line.BreakQuoteDepth, QuoteDepth));
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
        RowHasText = true;
        if (inHeading && !line.HeadingHasText)
        {
            line.HeadingHasText = true;
            line.HeadingWidth = 0; // lines before the heading's first text are not part of it
        }
        if (openLinks > 0 && line.LinkStart < 0)
            line.LinkStart = output.Length;
    }

    private void WriteLinePrefix()
    {
        AppendQuotePrefix(QuoteDepth);
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
            output.Append(' ', Indent);
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
        if (inHeading && line.LineHasText)
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

    // ---- characters ---------------------------------------------------------------------------

    /// <summary>Whitespace that collapses in flowing text.</summary>
    public static bool IsWhiteSpace(char c) => c <= ' ' || c == '\u00A0' || (c > '\u007F' && char.IsWhiteSpace(c));

    public static bool IsWhiteSpace(ReadOnlySpan<char> text)
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
