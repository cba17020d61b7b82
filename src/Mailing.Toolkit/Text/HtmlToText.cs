using Mailing.Toolkit.Text.Internal;

namespace Mailing.Toolkit.Text;

/// <summary>
/// Converts HTML email bodies into readable plain text: the automatic text part of an HTML email,
/// or a text rendering of HTML-only mail.
/// </summary>
/// <remarks>
/// <para>
/// One pass over the tokens of a built-in HTML tokenizer that follows the HTML tokenization rules (tags and
/// attributes, comments, raw-text elements such as <c>script</c> and <c>style</c>, character references decoded
/// as MimeKit decodes them) and reads the input in place, without allocating per token. No document tree is
/// built and nothing recurses, so broken, deeply nested or very large markup is handled in linear time.
/// </para>
/// <para>
/// Block elements become line breaks with at most one blank line between blocks; headings are underlined
/// (<c>=</c> for <c>h1</c>, <c>-</c> for the others); links are written as <c>text (url)</c>; images as their
/// alt text; list items as <c>- item</c> or <c>1. item</c>, nested lists indented by two spaces; table cells on
/// one line separated by <c> | </c>; blockquote lines prefixed with <c>&gt; </c>; <c>pre</c> keeps its
/// whitespace. Scripts, styles, the head, comments and hidden elements (<c>display:none</c>, the
/// <c>hidden</c> attribute) are dropped.
/// </para>
/// <para>The result uses <c>\n</c> line endings, has no trailing spaces and no leading or trailing blank lines.</para>
/// </remarks>
public static class HtmlToText
{
    /// <summary>Converts an HTML document or fragment into plain text.</summary>
    /// <param name="html">The HTML to convert; it may be a fragment and may be malformed.</param>
    /// <param name="options">The conversion settings; <see langword="null"/> uses <see cref="HtmlToTextOptions.Default"/>.</param>
    /// <returns>The text; empty when the HTML has no visible text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="html"/> is <see langword="null"/>.</exception>
    public static string Convert(string html, HtmlToTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(html);
        if (html.Length == 0)
            return string.Empty;

        // The text is usually a fraction of the markup; start small and let the builder grow.
        var capacity = Math.Min(html.Length / 3, 64 * 1024) + 16;
        return new HtmlToTextConverter(options ?? HtmlToTextOptions.Default, capacity).Convert(html);
    }
}
