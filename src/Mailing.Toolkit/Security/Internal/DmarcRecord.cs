namespace Mailing.Toolkit.Security.Internal;

/// <summary>A parsed DMARC policy record (RFC 9989 section 4.7). Unknown tags and invalid values of known tags are ignored.</summary>
internal sealed record DmarcRecord(
    DmarcPolicy Policy,
    DmarcPolicy? SubdomainPolicy,
    DmarcPolicy? NonexistentPolicy,
    bool StrictDkim,
    bool StrictSpf,
    bool Testing,
    char PublicSuffix)
{
    /// <summary>Reads a TXT record; <see langword="null"/> when it is not a DMARC record (<c>v=DMARC1</c> must come first).</summary>
    public static DmarcRecord? TryParse(string text)
    {
        var tags = text.Split(';');
        if (tags.Length == 0 || !IsVersionTag(tags[0]))
            return null;

        DmarcPolicy? policy = null, subdomain = null, nonexistent = null;
        bool strictDkim = false, strictSpf = false, testing = false;
        var psd = 'u';
        for (var i = 1; i < tags.Length; i++)
        {
            var tag = tags[i];
            var equals = tag.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
                continue;
            var name = tag[..equals].Trim().ToLowerInvariant();
            var value = tag[(equals + 1)..].Trim().ToLowerInvariant();
            switch (name)
            {
                case "p": policy = ParsePolicy(value) ?? policy; break;
                case "sp": subdomain = ParsePolicy(value) ?? subdomain; break;
                case "np": nonexistent = ParsePolicy(value) ?? nonexistent; break;
                case "adkim": strictDkim = value == "s" || (value != "r" && strictDkim); break;
                case "aspf": strictSpf = value == "s" || (value != "r" && strictSpf); break;
                case "t": testing = value == "y" || (value != "n" && testing); break;
                case "psd": psd = value is "y" or "n" or "u" ? value[0] : psd; break;
            }
        }

        // RFC 9989: a record without a valid p tag is still a policy record, read as p=none.
        return new DmarcRecord(policy ?? DmarcPolicy.None, subdomain, nonexistent, strictDkim, strictSpf, testing, psd);
    }

    private static bool IsVersionTag(string tag)
    {
        var equals = tag.IndexOf('=', StringComparison.Ordinal);
        return equals > 0
            && tag[..equals].Trim().Equals("v", StringComparison.Ordinal)
            && tag[(equals + 1)..].Trim().Equals("DMARC1", StringComparison.Ordinal);
    }

    private static DmarcPolicy? ParsePolicy(string value) => value switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}
