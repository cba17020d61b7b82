using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>The SPF evaluator's log messages (EventIds 8020-8039). Domains and addresses only at Debug.</summary>
internal static partial class SpfLog
{
    [LoggerMessage(EventId = 8020, Level = LogLevel.Debug, Message = "SPF {Identity} check of {Domain} for {Address}: {Result} ({Reason})")]
    public static partial void Result(ILogger logger, string identity, string? domain, string address, string result, string? reason);

    [LoggerMessage(EventId = 8021, Level = LogLevel.Warning, Message = "The DNS resolver threw for a {Type} query instead of returning a failure; SPF treats it as a temporary failure")]
    public static partial void ResolverThrew(ILogger logger, DnsRecordType type, Exception exception);

    [LoggerMessage(EventId = 8022, Level = LogLevel.Debug, Message = "SPF evaluation of {Domain} stopped at a limit: {Reason}")]
    public static partial void LimitHit(ILogger logger, string domain, string reason);

    [LoggerMessage(EventId = 8023, Level = LogLevel.Debug, Message = "SPF evaluation of {Domain} took longer than {Timeout} and gave temperror")]
    public static partial void TimedOut(ILogger logger, string domain, TimeSpan timeout);

    [LoggerMessage(EventId = 8024, Level = LogLevel.Trace, Message = "SPF DNS query {Name} {Type}: {Status}")]
    public static partial void Query(ILogger logger, string name, DnsRecordType type, DnsQueryStatus status);

    [LoggerMessage(EventId = 8025, Level = LogLevel.Debug, Message = "SPF explanation of {Domain} ignored: {Reason}")]
    public static partial void ExplanationIgnored(ILogger logger, string domain, string reason);
}
