using System.Buffers.Text;
using System.Text;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Bridges MailKit's IMAP protocol log to <see cref="ILogger"/> at Trace: AUTHENTICATE and LOGIN secrets are
/// masked, and the content of literals (<c>{n}</c>: appended or fetched messages) is replaced by its size, so
/// message bodies never reach the log. Costs nothing when Trace is off.
/// </summary>
internal sealed class ImapWireLogger(ILogger logger) : RedactingProtocolLogger(logger)
{
    private long clientLiteral;
    private long serverLiteral;

    protected override string RenderClient(ReadOnlySpan<byte> bytes) => Render(bytes, ref clientLiteral);

    protected override string RenderServer(ReadOnlySpan<byte> bytes) => Render(bytes, ref serverLiteral);

    protected override void WriteConnect(ILogger logger, string server) => ImapWireLog.Connect(logger, server);

    protected override void WriteClient(ILogger logger, string text) => ImapWireLog.Client(logger, text);

    protected override void WriteServer(ILogger logger, string text) => ImapWireLog.Server(logger, text);

    /// <summary>The text of a buffer with every literal's content (possibly spread over several buffers) replaced by its size.</summary>
    private static string Render(ReadOnlySpan<byte> bytes, ref long literalRemaining)
    {
        var text = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            if (literalRemaining > 0)
            {
                var take = (int)Math.Min(literalRemaining, bytes.Length);
                literalRemaining -= take;
                text.Append("<literal: ").Append(take).Append(" bytes>");
                bytes = bytes[take..];
                continue;
            }

            var end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..(end + 1)];
            text.Append(Encoding.UTF8.GetString(line));
            literalRemaining = LiteralLength(line);
            bytes = bytes[line.Length..];
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The length announced by a line ending in <c>{n}</c>, <c>{n+}</c> or <c>~{n}</c> (RFC 9051, 7888), else 0.</summary>
    private static long LiteralLength(ReadOnlySpan<byte> line)
    {
        if (!line.EndsWith("}\r\n"u8))
            return 0;
        var open = line.LastIndexOf((byte)'{');
        if (open < 0)
            return 0;
        var digits = line[(open + 1)..^3];
        if (!digits.IsEmpty && digits[^1] is (byte)'+' or (byte)'-')
            digits = digits[..^1];
        return Utf8Parser.TryParse(digits, out long length, out var consumed) && consumed == digits.Length && length > 0 ? length : 0;
    }
}

internal static partial class ImapWireLog
{
    [LoggerMessage(EventId = 3010, Level = LogLevel.Trace, Message = "Connected to {Server}")]
    public static partial void Connect(ILogger logger, string server);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Trace, Message = "C: {Line}")]
    public static partial void Client(ILogger logger, string line);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Trace, Message = "S: {Line}")]
    public static partial void Server(ILogger logger, string line);
}
