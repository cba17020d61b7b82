using MimeKit.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// Drops the tokens that carry no text for a reader before <see cref="HtmlToTextConverter"/> sees them: everything
/// inside scripts, styles, the title, form controls and embeds (nested elements of the same kind counted, so the
/// first end tag does not end the skipping early), the document structure tags, and the head with its metadata.
/// </summary>
internal sealed class SkippedContentFilter
{
    private bool skipping;
    private HtmlTagId skipId;
    private int skipNesting;
    private bool inHead;

    /// <summary>Whether the content of a skipped element is being read; its text is then never decoded.</summary>
    public bool IsSkipping => skipping;

    /// <summary>Whether text is whitespace of the head; any other text ends the head.</summary>
    public bool SkipsText(ReadOnlySpan<char> text)
    {
        if (inHead)
        {
            if (TextLineWriter.IsWhiteSpace(text))
                return true;
            inHead = false;
        }

        return false;
    }

    /// <summary>Whether a start tag is dropped here; a tag that is not ends the head.</summary>
    public bool SkipsStartTag(HtmlTokenReader tag)
    {
        var id = tag.TagId;
        if (skipping)
        {
            if (IsSkippedElement(tag, skipId))
                skipNesting++;
            return true;
        }

        switch (id)
        {
            case HtmlTagId.Head:
                inHead = true;
                return true;
            case HtmlTagId.Html or HtmlTagId.Body:
                inHead = false;
                return true;
            case HtmlTagId.Meta or HtmlTagId.Link or HtmlTagId.Base or HtmlTagId.BaseFont or HtmlTagId.BGSound:
                return true;
        }

        if (IsSkippedContent(tag))
        {
            skipping = true;
            skipId = id;
            skipNesting = 1;
            return true;
        }

        // Anything else ends an unclosed head, as it does in a browser.
        inHead = false;
        return false;
    }

    /// <summary>Whether an end tag is dropped here.</summary>
    public bool SkipsEndTag(HtmlTokenReader tag)
    {
        if (skipping)
        {
            if (IsSkippedElement(tag, skipId) && --skipNesting == 0)
                skipping = false;
            return true;
        }

        if (tag.TagId == HtmlTagId.Head)
        {
            inHead = false;
            return true;
        }

        return false;
    }

    /// <summary>Elements whose content is never text for a reader: scripts, styles, the title, form controls, embeds.</summary>
    private static bool IsSkippedContent(HtmlTokenReader tag) => tag.TagId switch
    {
        HtmlTagId.Script or HtmlTagId.Style or HtmlTagId.Title or HtmlTagId.TextArea or HtmlTagId.NoScript
            or HtmlTagId.IFrame or HtmlTagId.NoEmbed or HtmlTagId.NoFrames or HtmlTagId.Select or HtmlTagId.Object
            or HtmlTagId.Applet or HtmlTagId.DataList => !tag.IsSelfClosing,
        HtmlTagId.Unknown => !tag.IsSelfClosing && IsTemplate(tag),
        _ => false,
    };

    /// <summary>
    /// Whether a tag names the skipped element <paramref name="id"/>; <c>template</c> has no tag id of its own, so
    /// it is told apart from other unknown tags by name.
    /// </summary>
    private static bool IsSkippedElement(HtmlTokenReader tag, HtmlTagId id) =>
        tag.TagId == id && (id != HtmlTagId.Unknown || IsTemplate(tag));

    private static bool IsTemplate(HtmlTokenReader tag) => tag.TagName.Equals("template", StringComparison.OrdinalIgnoreCase);
}
