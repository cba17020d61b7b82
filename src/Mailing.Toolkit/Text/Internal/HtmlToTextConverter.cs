using MimeKit.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// The state machine behind <see cref="HtmlToText"/>: one pass over the tokens of <see cref="HtmlTokenReader"/>
/// that decides which content is rendered, keeps the <see cref="OpenElementStack"/> as a browser would (implied
/// and stray end tags included) and tells the <see cref="TextLineWriter"/> what each element means for the
/// layout. One instance converts one document.
/// </summary>
internal sealed class HtmlToTextConverter
{
    private readonly TextLineWriter writer;
    private readonly OpenElementStack elements = new();

    // Structural state, restored by the frames as they close.
    private int listTop = -1;
    private int headingDepth;
    private int headingAt = -1;

    // Content that is not rendered: raw-text elements (script, style...) and the document head.
    private readonly SkippedContentFilter skipped = new();

    // A hidden element (display:none) is written, then rolled back when it closes; an element that
    // never closes stays visible, so broken markup cannot hide the rest of the message.
    private int hiddenAt = -1;

    public HtmlToTextConverter(HtmlToTextOptions options, int capacity)
    {
        writer = new TextLineWriter(options, capacity);
    }

    private int TableTop => elements.Innermost(HtmlTagId.Table);

    private int LinkTop => elements.Innermost(HtmlTagId.A);

    private int ParagraphTop => elements.Innermost(HtmlTagId.P);

    public string Convert(string html)
    {
        var reader = new HtmlTokenReader(html);
        while (reader.Read())
        {
            // Comments (Outlook conditional comments included), doctypes and CDATA carry no text; the
            // text of skipped elements is never decoded.
            switch (reader.TokenType)
            {
                case HtmlTokenType.Text when !skipped.IsSkipping:
                    var text = reader.Text;
                    if (!skipped.SkipsText(text))
                        writer.WriteText(text);
                    break;
                case HtmlTokenType.StartTag when !skipped.SkipsStartTag(reader):
                    OnStartTag(reader);
                    break;
                case HtmlTokenType.EndTag when !skipped.SkipsEndTag(reader):
                    OnEndTag(reader);
                    break;
            }
        }

        // Close what the markup left open (links still get their URL, headings their underline)
        // without rolling back an unclosed hidden element.
        hiddenAt = -1;
        PopTo(0);
        return writer.GetText();
    }

    // ---- tokens -------------------------------------------------------------------------------

    private void OnStartTag(HtmlTokenReader tag)
    {
        var id = tag.TagId;
        if (id == HtmlTagId.Unknown)
            return; // custom and namespaced tags (o:p, v:shape) are transparent

        CloseImplied(id);
        var hidden = HtmlElementKinds.IsHidden(tag);
        if (id.IsEmptyElement())
        {
            if (!hidden)
                OpenVoid(tag);
            return;
        }

        var index = elements.Push(id);
        if (hidden && hiddenAt < 0)
        {
            hiddenAt = index;
            writer.SaveRollbackPoint();
        }

        Open(tag, index);

        // <div/> in XHTML-style mail: treat as opened and closed at once.
        if (tag.IsSelfClosing)
            PopTo(index);
    }

    private void OnEndTag(HtmlTokenReader tag)
    {
        var id = tag.TagId;
        if (id == HtmlTagId.Br)
        {
            writer.LineBreak(); // browsers read </br> as <br>
            return;
        }

        // A stray end tag, or one whose element is outside the innermost table, is ignored as a
        // browser ignores it; a stray </p> reads as an empty paragraph.
        var at = id == HtmlTagId.Unknown ? -1 : elements.Innermost(id);
        if (at < 0 || at < TableTop)
        {
            if (id == HtmlTagId.P)
                writer.Paragraph();
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
                writer.LineBreak();
                break;
            case HtmlTagId.HR:
                writer.Paragraph();
                writer.WriteRule();
                writer.Paragraph();
                break;
            case HtmlTagId.Image:
                writer.NoteImage();
                if (tag.FindAttribute("alt") is >= 0 and var alt)
                    writer.WriteFlow(tag.GetAttributeValue(alt));
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
        if (HtmlElementKinds.IsBlock(id))
        {
            var table = TableTop;
            if (ParagraphTop > table)
                PopTo(ParagraphTop);
            if (LinkTop > table && writer.LinkHasText)
                PopTo(LinkTop);
            if (headingAt > table && writer.HeadingHasText)
                PopTo(headingAt);
        }

        switch (id)
        {
            case HtmlTagId.LI when listTop >= 0 && elements[listTop].Child > TableTop:
                PopTo(elements[listTop].Child);
                break;
            case HtmlTagId.TR when TableTop >= 0 && elements[TableTop].Child >= 0:
                PopTo(elements[TableTop].Child);
                break;
            case HtmlTagId.TD or HtmlTagId.TH when TableTop >= 0 && elements[TableTop].Cell >= 0:
                PopTo(elements[TableTop].Cell);
                break;
            case HtmlTagId.A when LinkTop > TableTop:
                PopTo(LinkTop);
                break;
        }
    }

    private void Open(HtmlTokenReader tag, int index)
    {
        ref var frame = ref elements[index];
        switch (tag.TagId)
        {
            case HtmlTagId.P or HtmlTagId.DL or HtmlTagId.Figure or HtmlTagId.FieldSet:
                writer.Paragraph();
                break;

            case var id when HtmlElementKinds.IsLineBlock(id):
                writer.RequestBreak(1);
                break;

            case HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.H4 or HtmlTagId.H5 or HtmlTagId.H6:
                writer.Paragraph();
                if (headingDepth++ == 0)
                {
                    headingAt = index;
                    writer.BeginHeading();
                }
                break;

            case HtmlTagId.BlockQuote:
                writer.Paragraph();
                writer.QuoteDepth++;
                break;

            case HtmlTagId.Pre or HtmlTagId.Xmp or HtmlTagId.Listing or HtmlTagId.PlainText:
                writer.Paragraph();
                writer.BeginPreformatted();
                break;

            case HtmlTagId.UL or HtmlTagId.OL or HtmlTagId.Menu or HtmlTagId.Dir:
                frame.Outer = listTop;
                frame.Base = listTop >= 0 ? Math.Min(elements[listTop].Base + 2, TextLineWriter.MaxIndent) : writer.Indent;
                frame.Number = tag.TagId == HtmlTagId.OL ? HtmlElementKinds.GetListStart(tag) : 0;
                frame.Child = -1;
                writer.RequestBreak(listTop >= 0 ? 1 : 2);
                listTop = index;
                writer.InList = true;
                break;

            case HtmlTagId.LI:
                OpenListItem(ref frame, index);
                break;

            case HtmlTagId.DD:
                writer.RequestBreak(1);
                frame.SavedIndent = writer.Indent;
                writer.Indent = Math.Min(writer.Indent + 2, TextLineWriter.MaxIndent);
                break;

            case HtmlTagId.Table:
                writer.RequestBreak(1);
                writer.CancelSeparator();
                frame.Child = -1;
                frame.Cell = -1;
                frame.OuterRowHasText = writer.RowHasText;
                writer.RowHasText = false;
                break;

            case HtmlTagId.TR:
                writer.CancelSeparator();
                writer.RequestBreak(1);
                frame.Outer = TableTop;
                if (frame.Outer >= 0)
                {
                    elements[frame.Outer].Child = index;
                    writer.RowHasText = false;
                }
                break;

            case HtmlTagId.TD or HtmlTagId.TH:
                frame.Outer = TableTop;
                if (frame.Outer >= 0)
                {
                    elements[frame.Outer].Cell = index;
                    if (writer.RowHasText)
                        writer.RequestSeparator();
                }
                break;

            case HtmlTagId.A:
                frame.Href = tag.FindAttribute("href") is >= 0 and var href ? tag.GetAttributeValue(href).ToString() : null;
                writer.BeginLink();
                break;
        }
    }

    private void OpenListItem(ref ElementFrame frame, int index)
    {
        int number = -1, baseIndent = writer.Indent;
        frame.Outer = listTop;
        if (listTop >= 0)
        {
            ref var list = ref elements[listTop];
            list.Child = index;
            baseIndent = list.Base;
            if (list.Id == HtmlTagId.OL)
                number = list.Number++;
        }

        writer.RequestBreak(1);
        writer.RequestMarker(number, baseIndent);
        frame.SavedIndent = writer.Indent;
        writer.Indent = baseIndent + (number < 0 ? 2 : CountDigits(number) + 2);
    }

    private void PopTo(int index)
    {
        while (elements.Depth > index)
            Pop();
    }

    private void Pop()
    {
        var index = elements.Pop();
        ref var frame = ref elements[index];
        Close(ref frame, index);
        if (index == hiddenAt)
        {
            hiddenAt = -1;
            writer.RollBack();
        }

        frame = default; // drop the href reference
    }

    private void Close(ref ElementFrame frame, int index)
    {
        switch (frame.Id)
        {
            case HtmlTagId.P or HtmlTagId.DL or HtmlTagId.Figure or HtmlTagId.FieldSet:
                writer.Paragraph();
                break;

            case var id when HtmlElementKinds.IsLineBlock(id):
                writer.RequestBreak(1);
                break;

            case HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.H4 or HtmlTagId.H5 or HtmlTagId.H6:
                if (--headingDepth == 0)
                {
                    headingAt = -1;
                    writer.EndHeading(frame.Id == HtmlTagId.H1 ? '=' : '-');
                }
                writer.Paragraph();
                break;

            case HtmlTagId.BlockQuote:
                writer.Paragraph();
                writer.QuoteDepth--;
                break;

            case HtmlTagId.Pre or HtmlTagId.Xmp or HtmlTagId.Listing or HtmlTagId.PlainText:
                writer.EndPreformatted();
                writer.Paragraph();
                break;

            case HtmlTagId.UL or HtmlTagId.OL or HtmlTagId.Menu or HtmlTagId.Dir:
                listTop = frame.Outer;
                writer.InList = listTop >= 0;
                writer.RequestBreak(listTop >= 0 ? 1 : 2);
                break;

            case HtmlTagId.LI:
                if (frame.Outer >= 0 && elements[frame.Outer].Child == index)
                    elements[frame.Outer].Child = -1;
                writer.Indent = frame.SavedIndent;
                writer.DropMarker();
                writer.RequestBreak(1);
                break;

            case HtmlTagId.DD:
                writer.Indent = frame.SavedIndent;
                writer.RequestBreak(1);
                break;

            case HtmlTagId.Table:
                writer.CancelSeparator();
                writer.RequestBreak(1);
                writer.RowHasText = frame.OuterRowHasText;
                break;

            case HtmlTagId.TR:
                if (frame.Outer >= 0 && elements[frame.Outer].Child == index)
                    elements[frame.Outer].Child = -1;
                writer.CancelSeparator();
                writer.RequestBreak(1);
                break;

            case HtmlTagId.TD or HtmlTagId.TH:
                if (frame.Outer >= 0 && elements[frame.Outer].Cell == index)
                    elements[frame.Outer].Cell = -1;
                break;

            case HtmlTagId.A:
                writer.EndLink(frame.Href);
                break;
        }
    }

    private static int CountDigits(int number)
    {
        var digits = 1;
        while ((number /= 10) > 0)
            digits++;
        return digits;
    }
}
