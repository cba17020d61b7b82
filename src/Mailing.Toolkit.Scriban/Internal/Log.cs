using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>Log messages of the Scriban template renderer (event ids 5000-5099). Model values are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Debug, Message = "Loaded template {Name} for culture '{Culture}' in {ElapsedMs:F1} ms: {Files} file(s), CSS inlined: {CssInlined}")]
    public static partial void TemplateLoaded(ILogger logger, string name, string culture, double elapsedMs, int files, bool cssInlined);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Template {Name}: CSS inlining: {Warning}")]
    public static partial void CssWarning(ILogger logger, string name, string warning);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Template file {Path} changed: {Dropped} cached template(s) that use it were dropped")]
    public static partial void TemplateChanged(ILogger logger, string path, int dropped);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "The template folder watcher lost track of changes; every cached template was dropped")]
    public static partial void WatcherReset(ILogger logger);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Template {Name} failed to render: {Error}")]
    public static partial void RenderFailed(ILogger logger, string name, MailTemplateError error);
}
