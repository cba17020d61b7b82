using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using System.Text;

namespace Mailing.Toolkit.Tests.Parsing;

internal static class ParserFactory
{
    public static IMailParser Create(Action<MailParserOptions>? configure = null)
    {
        var options = new MailParserOptions();
        configure?.Invoke(options);
        return new MailParser(options, NullLogger<MailParser>.Instance);
    }

    public static ValueTask<ParsedMail> ParseAsync(this IMailParser parser, string raw) =>
        parser.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n"))));
}
