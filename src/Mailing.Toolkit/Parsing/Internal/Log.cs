using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Parsing.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "A message was refused: it breaks the parsing limit {Limit}")]
    public static partial void LimitHit(ILogger logger, string? limit);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "The {Extractor} of a message failed; the rest of the message was parsed")]
    public static partial void ExtractorFailed(ILogger logger, string extractor, Exception exception);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Parsing warning: {Warning}")]
    public static partial void Warning(ILogger logger, string warning);
}
