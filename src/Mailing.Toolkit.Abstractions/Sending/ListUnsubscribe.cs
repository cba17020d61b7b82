namespace Mailing.Toolkit;

/// <summary>
/// The <c>List-Unsubscribe</c> header (RFC 2369) and, with <see cref="OneClick"/>, the
/// <c>List-Unsubscribe-Post</c> header of RFC 8058 that mailbox providers use for their unsubscribe button.
/// </summary>
public sealed class ListUnsubscribe
{
    /// <summary>An HTTPS address that unsubscribes the recipient. Required for <see cref="OneClick"/>.</summary>
    public Uri? Url { get; init; }

    /// <summary>An address a recipient can write to in order to unsubscribe.</summary>
    public EmailAddress? Mailto { get; init; }

    /// <summary>
    /// Announces RFC 8058 one-click unsubscription: the provider POSTs <c>List-Unsubscribe=One-Click</c>
    /// to <see cref="Url"/>, which must be HTTPS. Sign the message with DKIM covering both headers.
    /// </summary>
    public bool OneClick { get; init; }

    internal string ToHeaderValue()
    {
        if (Url is null && Mailto is null)
            throw new ArgumentException("ListUnsubscribe needs a Url, a Mailto address or both.");
        if (OneClick && (Url is null || Url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException("ListUnsubscribe.OneClick requires an https Url (RFC 8058).");

        var parts = new List<string>(2);
        if (Url is not null)
        {
            if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttps && Url.Scheme != Uri.UriSchemeHttp))
                throw new ArgumentException($"ListUnsubscribe.Url must be an absolute http or https address, not '{Url}'.");
            // AbsoluteUri is percent-encoded, so it carries no spaces, angle brackets or line breaks.
            parts.Add("<" + Url.AbsoluteUri + ">");
        }

        if (Mailto is not null)
            parts.Add("<mailto:" + Uri.EscapeDataString(Mailto.Address).Replace("%40", "@", StringComparison.Ordinal) + "?subject=unsubscribe>");

        return string.Join(", ", parts);
    }
}
