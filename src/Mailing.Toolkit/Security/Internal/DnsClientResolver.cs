using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Asks real name servers through DnsClient.NET, with its own cache off (<see cref="CachingDnsResolver"/> caches,
/// negative answers included, on the <see cref="TimeProvider"/>). Truncated UDP answers are retried over TCP.
/// </summary>
internal sealed class DnsClientResolver : IDnsResolver
{
    private readonly LookupClient client;
    private readonly ILogger logger;

    public DnsClientResolver(DnsResolverOptions options, ILogger? logger = null)
    {
        var servers = options.Servers.Select(ParseServer).ToArray();
        var clientOptions = servers.Length == 0 ? new LookupClientOptions() : new LookupClientOptions(servers);
        clientOptions.UseCache = false;
        clientOptions.Timeout = options.Timeout;
        clientOptions.Retries = options.Retries;
        clientOptions.UseTcpFallback = true;
        clientOptions.ThrowDnsErrors = false;
        clientOptions.ContinueOnDnsError = false;
        clientOptions.ContinueOnEmptyResponse = false;
        clientOptions.UseRandomNameServer = false;
        client = new LookupClient(clientOptions);
        this.logger = logger ?? NullLogger.Instance;
    }

    public async ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        IDnsQueryResponse response;
        try
        {
            response = await client.QueryAsync(name, (QueryType)(int)type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // DnsClient reports a timeout, an unreachable server, a name it cannot encode or an answer it cannot parse
            // by throwing; to the caller every one of them is a temporary failure, never an exception.
            return Failed(name, type, e is DnsResponseException dns ? dns.Code.ToString() : e.GetType().Name);
        }

        var answer = ToAnswer(response, type);
        if (answer.Status == DnsQueryStatus.TemporaryFailure)
            DnsLog.QueryFailed(logger, name, type, answer.Error ?? "");
        else
            DnsLog.Answered(logger, name, type, answer.Status, answer.Records.Count, answer.TimeToLive);
        return answer;
    }

    private DnsAnswer Failed(string name, DnsRecordType type, string error)
    {
        DnsLog.QueryFailed(logger, name, type, error);
        return DnsAnswer.Failed(error);
    }

    private static DnsAnswer ToAnswer(IDnsQueryResponse response, DnsRecordType type)
    {
        var code = (DnsHeaderResponseCode)response.Header.ResponseCode;
        if (code == DnsHeaderResponseCode.NotExistentDomain)
            return DnsAnswer.NotFound(NegativeTtl(response));
        if (code != DnsHeaderResponseCode.NoError)
            return DnsAnswer.Failed(code.ToString());

        var records = new List<string>();
        var ttl = int.MaxValue;
        foreach (var record in response.Answers)
        {
            // A CNAME chain comes with the records it leads to; only those of the type asked for count.
            var text = Format(record, type);
            if (text is null)
                continue;
            records.Add(text);
            ttl = Math.Min(ttl, record.TimeToLive);
        }

        return records.Count == 0 ? DnsAnswer.NoData(NegativeTtl(response)) : DnsAnswer.Found(records, TimeSpan.FromSeconds(ttl));
    }

    private static string? Format(DnsResourceRecord record, DnsRecordType type) => (record, type) switch
    {
        (ARecord a, DnsRecordType.A) => a.Address.ToString(),
        (AaaaRecord a, DnsRecordType.Aaaa) => a.Address.ToString(),
        (MxRecord mx, DnsRecordType.Mx) => $"{mx.Preference} {mx.Exchange.Value.TrimEnd('.')}",
        (PtrRecord ptr, DnsRecordType.Ptr) => ptr.PtrDomainName.Value.TrimEnd('.'),
        (TxtRecord txt, DnsRecordType.Txt) => string.Concat(txt.Text),
        _ => null,
    };

    /// <summary>RFC 2308: the negative TTL is the lesser of the SOA's own TTL and its MINIMUM field.</summary>
    private static TimeSpan NegativeTtl(IDnsQueryResponse response)
    {
        var soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault();
        return soa is null ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(Math.Min(soa.TimeToLive, soa.Minimum));
    }

    internal static IPEndPoint ParseServer(string text)
    {
        if (IPEndPoint.TryParse(text, out var endpoint))
        {
            if (endpoint.Port == 0)
                endpoint.Port = 53;
            return endpoint;
        }

        throw new FormatException($"'{text}' is not a name server address (use 192.0.2.1, 192.0.2.1:5353 or [2001:db8::1]:53).");
    }
}
