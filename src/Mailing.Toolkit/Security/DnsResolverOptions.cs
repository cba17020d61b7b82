namespace Mailing.Toolkit.Security;

/// <summary>How the default <see cref="IDnsResolver"/> asks name servers and caches their answers (<c>Mailing:Dns</c>).</summary>
public sealed class DnsResolverOptions
{
    /// <summary>
    /// The name servers to ask, as <c>address</c> or <c>address:port</c> (<c>[v6]:port</c> for IPv6). Empty (the default)
    /// uses the system's resolvers (<c>/etc/resolv.conf</c>, the network configuration on Windows).
    /// </summary>
    public IList<string> Servers { get; } = [];

    /// <summary>How long one attempt at a query may take. Default 3 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How many times a query that timed out is sent again (to the next server, when there are several). Default 1.</summary>
    public int Retries { get; set; } = 1;

    /// <summary>How many answers the cache keeps; the oldest go first past it. Default 10,000; 0 turns caching off.</summary>
    public int CacheSize { get; set; } = 10_000;

    /// <summary>The longest an answer is cached, whatever its TTL. Default 1 hour.</summary>
    public TimeSpan MaximumTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The longest a negative answer (no such name, no such record) is cached, whatever the zone's negative TTL says
    /// (RFC 2308). Default 5 minutes. Temporary failures are never cached.
    /// </summary>
    public TimeSpan MaximumNegativeTimeToLive { get; set; } = TimeSpan.FromMinutes(5);
}
