namespace Mailing.Toolkit.Security;

/// <summary>The DNS record types the trust layer asks for.</summary>
public enum DnsRecordType
{
    /// <summary>An IPv4 address.</summary>
    A = 1,

    /// <summary>A domain name pointer (reverse lookup).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The DNS record type's own name.")]
    Ptr = 12,

    /// <summary>A mail exchanger.</summary>
    Mx = 15,

    /// <summary>Text (SPF, DKIM keys, DMARC policies).</summary>
    Txt = 16,

    /// <summary>An IPv6 address.</summary>
    Aaaa = 28,
}

/// <summary>How a DNS query ended.</summary>
public enum DnsQueryStatus
{
    /// <summary>The name exists; <see cref="DnsAnswer.Records"/> may still be empty (no record of the type asked for).</summary>
    Success,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NameError,

    /// <summary>
    /// The answer could not be had: a timeout, SERVFAIL, a refused or truncated answer that a retry over TCP did not
    /// mend. Checks built on it give <c>temperror</c>.
    /// </summary>
    TemporaryFailure,
}

/// <summary>The answer to one DNS query, records in presentation form.</summary>
/// <remarks>
/// Records are strings so any resolver (a real one, a zone file, a test) can supply them: an address for
/// <see cref="DnsRecordType.A"/> and <see cref="DnsRecordType.Aaaa"/>; <c>"10 mx.example.com"</c> for
/// <see cref="DnsRecordType.Mx"/>; a name for <see cref="DnsRecordType.Ptr"/>; for <see cref="DnsRecordType.Txt"/>,
/// the record's character-strings joined without a separator (RFC 7208 section 3.3, RFC 6376 section 3.6.2.2).
/// </remarks>
/// <param name="Status">How the query ended.</param>
/// <param name="Records">The records of the type asked for; empty unless <paramref name="Status"/> is <see cref="DnsQueryStatus.Success"/>.</param>
/// <param name="TimeToLive">How long the answer may be cached; for a negative answer, the zone's negative TTL.</param>
/// <param name="Error">Why a <see cref="DnsQueryStatus.TemporaryFailure"/> happened, for logs and results; never a secret.</param>
public sealed record DnsAnswer(DnsQueryStatus Status, IReadOnlyList<string> Records, TimeSpan TimeToLive, string? Error = null)
{
    /// <summary>A successful answer.</summary>
    public static DnsAnswer Found(IReadOnlyList<string> records, TimeSpan timeToLive) => new(DnsQueryStatus.Success, records, timeToLive);

    /// <summary>The name exists but has no record of the type asked for (NODATA).</summary>
    public static DnsAnswer NoData(TimeSpan timeToLive) => new(DnsQueryStatus.Success, [], timeToLive);

    /// <summary>The name does not exist.</summary>
    public static DnsAnswer NotFound(TimeSpan timeToLive) => new(DnsQueryStatus.NameError, [], timeToLive);

    /// <summary>The answer could not be had.</summary>
    public static DnsAnswer Failed(string error) => new(DnsQueryStatus.TemporaryFailure, [], TimeSpan.Zero, error);
}

/// <summary>
/// Resolves the DNS records SPF, DKIM, DMARC and ARC need. The default (registered by <c>AddMailAuthentication</c>)
/// asks the system's or the configured name servers and caches answers for their TTL; an in-memory zone
/// (<c>InMemoryDnsZone</c>) answers from fixed data for tests and offline checks.
/// </summary>
/// <remarks>Implementations never throw for a DNS problem: they return <see cref="DnsAnswer.Failed"/>.</remarks>
public interface IDnsResolver
{
    /// <summary>Looks up the records of one type for a name.</summary>
    /// <param name="name">The name, without the trailing dot.</param>
    /// <param name="type">The record type.</param>
    /// <param name="cancellationToken">Cancels the query; the only way this method throws.</param>
    ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default);
}
