using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Security.Internal;

internal static partial class DnsLog
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Debug, Message = "DNS {Type} query for {Name} failed: {Error}")]
    public static partial void QueryFailed(ILogger logger, string name, DnsRecordType type, string error);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Trace, Message = "DNS {Type} query for {Name}: {Status}, {Count} record(s), TTL {Ttl}")]
    public static partial void Answered(ILogger logger, string name, DnsRecordType type, DnsQueryStatus status, int count, TimeSpan ttl);
}
