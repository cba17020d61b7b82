using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Security.Internal;

internal static partial class AuthenticationLog
{
    [LoggerMessage(EventId = 8040, Level = LogLevel.Debug, Message = "Authenticated {MessageId}: spf={Spf} dkim={Dkim} arc={Arc} dmarc={Dmarc} ({Source})")]
    public static partial void Authenticated(ILogger logger, string? messageId, string spf, string dkim, string arc, string dmarc, string source);

    [LoggerMessage(EventId = 8041, Level = LogLevel.Debug, Message = "No connection facts for {MessageId}: SPF not checked (pass them, or configure Mailing:Authentication:TrustedReceivers)")]
    public static partial void NoConnectionFacts(ILogger logger, string? messageId);
}
