namespace Mailing.Toolkit.Text;

/// <summary>Settings of <see cref="HtmlToText.Convert(string, HtmlToTextOptions?)"/>.</summary>
public sealed class HtmlToTextOptions
{
    /// <summary>
    /// The column at which paragraphs are wrapped; <c>0</c> (the default) turns wrapping off.
    /// Words and URLs are never broken: a word longer than the column stays on a line of its own.
    /// Preformatted text and table rows are never wrapped.
    /// </summary>
    public int WrapColumn { get; init; }

    /// <summary>
    /// Whether a link is written as <c>text (url)</c>. Defaults to <see langword="true"/>.
    /// A link whose text equals its URL is written once, and a <c>mailto:</c> link shows the address.
    /// </summary>
    public bool IncludeLinkUrls { get; init; } = true;

    /// <summary>The default settings: no wrapping, link URLs included.</summary>
    public static HtmlToTextOptions Default { get; } = new();
}
