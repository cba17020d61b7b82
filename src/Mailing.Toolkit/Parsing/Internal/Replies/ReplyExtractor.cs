namespace Mailing.Toolkit.Parsing.Internal.Replies;

/// <summary>
/// Finds the visible reply in a message body: what the author wrote now, the earlier message they quoted
/// (with its attribution), and their signature.
/// </summary>
/// <remarks>
/// The text body is used when it has any text, the HTML body otherwise: clients write the same quote into both,
/// and the text one marks it more plainly. Only the first <see cref="MaxTextLength"/> characters of a text body and
/// <see cref="MaxHtmlLength"/> of an HTML body are examined, and at most <see cref="MaxTextLength"/> characters of the
/// text rendered from the HTML (the rest is left out of the parts; the full bodies stay on <see cref="ParsedMail"/>).
/// Every step is linear in that length: no regular expressions, no recursion.
/// </remarks>
internal static class ReplyExtractor
{
    /// <summary>The most characters of a text body examined.</summary>
    public const int MaxTextLength = 1024 * 1024;

    /// <summary>The most characters of an HTML body examined.</summary>
    public const int MaxHtmlLength = 1024 * 1024;

    /// <summary>Splits a reply into its visible text, quoted text and signature.</summary>
    /// <param name="text">The decoded text/plain body, or <see langword="null"/>.</param>
    /// <param name="html">The decoded text/html body, or <see langword="null"/>.</param>
    /// <param name="htmlAsText">
    /// <paramref name="html"/> already rendered by <see cref="Text.HtmlToText"/>, when the caller has it: HTML without
    /// any quote container is then split from this rendering instead of being tokenized a second time.
    /// </param>
    /// <returns>The parts, or <see langword="null"/> when both bodies are <see langword="null"/> or empty.</returns>
    public static ReplyParts? Extract(string? text, string? html, string? htmlAsText = null)
    {
        if (!string.IsNullOrWhiteSpace(text) || (string.IsNullOrEmpty(html) && !string.IsNullOrEmpty(text)))
            return ReplySplitter.Split(ReplyText.FromPlain(Cap(text!, MaxTextLength)));
        if (string.IsNullOrEmpty(html))
            return null;
        var capped = Cap(html, MaxHtmlLength);
        if (htmlAsText is not null && !HtmlQuoteSegmenter.MayContainQuote(capped))
            return ReplySplitter.Split(ReplyText.FromPlain(Cap(htmlAsText, MaxTextLength)));
        return ReplySplitter.Split(HtmlQuoteSegmenter.Render(capped, MaxTextLength));
    }

    // The first `limit` characters, never ending between the halves of a surrogate pair.
    private static string Cap(string value, int limit)
    {
        if (value.Length <= limit)
            return value;
        return value[..(char.IsHighSurrogate(value[limit - 1]) ? limit - 1 : limit)];
    }
}
