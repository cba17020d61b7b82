using System.Text;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Bridges MailKit's POP3 protocol log to <see cref="ILogger"/> at Trace, on the shared
/// <see cref="RedactingProtocolLogger"/>: USER/PASS, APOP and AUTH secrets (passwords, SASL responses, OAuth2 tokens)
/// are masked, and the content of RETR and TOP responses (a message, or its headers) is replaced by its size, so
/// message content never reaches the log. Listings (CAPA, UIDL, LIST) are logged as they are.
/// </summary>
/// <remarks>
/// POP3 answers commands in order, also when they are pipelined (RFC 2449), so each command the client sends queues
/// the kind of answer it gets: a status line, a status line and a listing, or a status line and a message. Server
/// lines are read whole (a line split over two reads waits for its end), and a message ends at the line holding a
/// lone dot, wherever the reads split it. While an AUTH exchange is open the client's lines are SASL responses, not
/// commands.
/// </remarks>
internal sealed class Pop3WireLogger(ILogger logger) : RedactingProtocolLogger(logger)
{
    /// <summary>The category of the POP3 protocol transcript (events 3140-3142).</summary>
    public const string Category = "Mailing.Toolkit.Receiving.Pop3Protocol";

    /// <summary>A partial server line longer than this is logged as it is, rather than held back without bound.</summary>
    private const int MaxPendingLine = 8192;

    private readonly Queue<Reply> expected = new();
    private readonly List<byte> pending = [];
    private Mode mode;
    private long messageBytes;
    private int terminator;

    private enum Reply
    {
        Status,
        Listing,
        Message,
        Authentication,
    }

    private enum Mode
    {
        Status,
        Listing,
        Message,
    }

    protected override string RenderClient(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            var end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..(end + 1)];
            bytes = bytes[line.Length..];
            text.Append(Encoding.UTF8.GetString(line));
            // SASL responses are not commands; the exchange ends with the server's +OK or -ERR.
            if (!expected.Contains(Reply.Authentication) && Classify(line) is { } reply)
                expected.Enqueue(reply);
        }

        return text.ToString().TrimEnd();
    }

    protected override string RenderServer(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            if (mode == Mode.Message)
            {
                bytes = SkipMessage(bytes, text);
                continue;
            }

            var end = bytes.IndexOf((byte)'\n');
            var take = end < 0 ? bytes.Length : end + 1;
            pending.AddRange(bytes[..take]);
            bytes = bytes[take..];
            if (end < 0 && pending.Count <= MaxPendingLine)
                break;

            var line = pending.ToArray();
            pending.Clear();
            text.Append(Encoding.UTF8.GetString(line));
            OnServerLine(line);
        }

        return text.ToString().TrimEnd();
    }

    protected override void WriteConnect(ILogger logger, string server) => Pop3WireLog.Connect(logger, server);

    protected override void WriteClient(ILogger logger, string text) => Pop3WireLog.Client(logger, text);

    protected override void WriteServer(ILogger logger, string text) => Pop3WireLog.Server(logger, text);

    /// <summary>The answer a command line gets, or null for a line that is no command.</summary>
    private static Reply? Classify(ReadOnlySpan<byte> line)
    {
        var content = line.TrimEnd("\r\n"u8);
        var space = content.IndexOf((byte)' ');
        var verb = Encoding.ASCII.GetString(space < 0 ? content : content[..space]).ToUpperInvariant();
        var hasArgument = space >= 0 && !content[(space + 1)..].Trim((byte)' ').IsEmpty;
        return verb switch
        {
            "RETR" or "TOP" => Reply.Message,
            "CAPA" => Reply.Listing,
            "LIST" or "UIDL" or "LANG" => hasArgument ? Reply.Status : Reply.Listing,
            "AUTH" => hasArgument ? Reply.Authentication : Reply.Listing,
            "USER" or "PASS" or "APOP" or "STLS" or "STAT" or "DELE" or "NOOP" or "RSET" or "QUIT" or "UTF8" => Reply.Status,
            _ => null,
        };
    }

    private void OnServerLine(ReadOnlySpan<byte> line)
    {
        if (mode == Mode.Listing)
        {
            if (line.TrimEnd("\r\n"u8).SequenceEqual("."u8))
                mode = Mode.Status;
            return;
        }

        if (line.StartsWith("+OK"u8))
        {
            // The greeting comes before any command.
            var reply = expected.Count > 0 ? expected.Dequeue() : Reply.Status;
            if (reply == Reply.Message)
            {
                mode = Mode.Message;
                messageBytes = 0;
                terminator = 1;
            }
            else if (reply == Reply.Listing)
            {
                mode = Mode.Listing;
            }
        }
        else if (line.StartsWith("-ERR"u8))
        {
            expected.TryDequeue(out _);
        }

        // "+ ..." is a SASL challenge: the AUTH command stays open.
    }

    /// <summary>
    /// Counts message bytes up to the terminating <c>CRLF.CRLF</c> (a lone dot at the start of a line; a dot-stuffed
    /// line starts with two) and logs only the count; returns what follows the message.
    /// </summary>
    private ReadOnlySpan<byte> SkipMessage(ReadOnlySpan<byte> bytes, StringBuilder text)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            messageBytes++;
            // 0: inside a line; 1: at the start of a line; 2: a dot at the start of a line; 3: that dot and a CR.
            var previous = terminator;
            terminator = b switch
            {
                (byte)'\n' => previous is 2 or 3 ? -1 : 1,
                (byte)'.' when previous == 1 => 2,
                (byte)'\r' when previous == 2 => 3,
                _ => 0,
            };
            if (terminator < 0)
            {
                // The message ends before its terminating line: ".\r\n", or ".\n" from a lenient server.
                text.Append("<message: ").Append(messageBytes - (previous == 3 ? 3 : 2)).Append(" bytes>\r\n");
                mode = Mode.Status;
                terminator = 0;
                return bytes[(i + 1)..];
            }
        }

        return [];
    }
}

internal static partial class Pop3WireLog
{
    [LoggerMessage(EventId = 3140, Level = LogLevel.Trace, Message = "Connected to {Server}")]
    public static partial void Connect(ILogger logger, string server);

    [LoggerMessage(EventId = 3141, Level = LogLevel.Trace, Message = "C: {Line}")]
    public static partial void Client(ILogger logger, string line);

    [LoggerMessage(EventId = 3142, Level = LogLevel.Trace, Message = "S: {Line}")]
    public static partial void Server(ILogger logger, string line);
}
