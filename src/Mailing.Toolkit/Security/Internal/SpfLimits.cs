namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// The bounds of one SPF check_host() evaluation (RFC 7208 section 4.6.4 and our own caps on time, queries and
/// sizes). The defaults are the RFC's; a test sets lower ones to hit each limit.
/// </summary>
internal sealed record SpfLimits
{
    /// <summary>The defaults.</summary>
    public static SpfLimits Default { get; } = new();

    /// <summary>Terms that query DNS (include, a, mx, ptr, exists, redirect) per check, includes and redirects counted together. RFC 7208: 10; the next one is a permerror.</summary>
    public int MaxDnsTerms { get; init; } = 10;

    /// <summary>Lookups of those terms that return no record or NXDOMAIN ("void lookups"). RFC 7208: 2; the next one is a permerror.</summary>
    public int MaxVoidLookups { get; init; } = 2;

    /// <summary>MX records one <c>mx</c> mechanism may get back. RFC 7208: 10; more is a permerror.</summary>
    public int MaxMxNames { get; init; } = 10;

    /// <summary>PTR names one <c>ptr</c> mechanism or <c>%{p}</c> macro looks at. RFC 7208: 10; the rest are ignored.</summary>
    public int MaxPtrNames { get; init; } = 10;

    /// <summary>
    /// Every DNS query of one check, the address lookups of mx and ptr names, the <c>%{p}</c> macro's and the
    /// explanation's included. The RFC limits allow about 115; more is a permerror.
    /// </summary>
    public int MaxDnsQueries { get; init; } = 150;

    /// <summary>The longest SPF record (its strings joined) evaluated; a longer one is a permerror.</summary>
    public int MaxRecordLength { get; init; } = 8192;

    /// <summary>The longest explanation (after macro expansion) returned; a longer one is ignored, as a malformed one is.</summary>
    public int MaxExplanationLength { get; init; } = 1024;

    /// <summary>How long one check may take before it gives temperror. RFC 7208 section 4.6.4: at least 20 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);
}
