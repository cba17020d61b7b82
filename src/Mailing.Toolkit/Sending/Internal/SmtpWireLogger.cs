using System.Text;
using MailKit;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// Sees every byte MailKit exchanges with the server, before encryption. It serves two purposes:
/// it tells whether the end of the message data (CRLF.CRLF) was handed to the connection, which decides
/// whether a failure is "maybe delivered"; and when Trace logging is on it bridges the transcript to
/// <see cref="ILogger"/> with AUTH secrets redacted and message content replaced by its size.
/// </summary>
internal sealed class SmtpWireLogger : IProtocolLogger
{
    private static readonly byte[] EndOfData = "\r\n.\r\n"u8.ToArray();

    private readonly ILogger? trace;
    private readonly byte[] tail = new byte[EndOfData.Length];
    private int tailLength;
    private bool dataCommandSent;
    private bool inData;
    private long dataBytes;

    public SmtpWireLogger(ILogger logger)
    {
        trace = logger.IsEnabled(LogLevel.Trace) ? logger : null;
    }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    /// <summary>Whether the terminating CRLF.CRLF of the current message (or a BDAT LAST chunk) was written.</summary>
    public bool EndOfDataSent { get; private set; }

    /// <summary>Starts tracking a new message on this connection.</summary>
    public void BeginMessage()
    {
        EndOfDataSent = false;
        dataCommandSent = false;
        inData = false;
        tailLength = 0;
        dataBytes = 0;
    }

    public void LogConnect(Uri uri)
    {
        if (trace is not null)
            SmtpWireLog.Connect(trace, uri.GetLeftPart(UriPartial.Authority));
    }

    public void LogClient(byte[] buffer, int offset, int count)
    {
        var bytes = buffer.AsSpan(offset, count);
        if (inData)
        {
            dataBytes += count;
            TrackTail(bytes);
            return;
        }

        if (StartsWithCommand(bytes, "BDAT"u8))
        {
            // CHUNKING: the chunk follows its command in the same write; LAST ends the message.
            var lineEnd = bytes.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? bytes : bytes[..lineEnd];
            if (line.IndexOf("LAST"u8) >= 0)
                EndOfDataSent = true;
            if (trace is not null)
                SmtpWireLog.Client(trace, Encoding.ASCII.GetString(line) + $" <{count - line.Length - 2} bytes of message data>");
            return;
        }

        // With PIPELINING, DATA may close a buffer that also carries MAIL FROM and RCPT TO.
        if (EndsWithLine(bytes, "DATA\r\n"u8))
            dataCommandSent = true;

        if (trace is not null)
            SmtpWireLog.Client(trace, Redact(buffer, offset, count));
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        if (inData)
        {
            // The server answers only once the data has ended.
            inData = false;
            if (trace is not null)
                SmtpWireLog.Client(trace, $"<{dataBytes} bytes of message data>");
        }
        else if (dataCommandSent && HasLineStartingWith(buffer.AsSpan(offset, count), "354"u8))
        {
            dataCommandSent = false;
            inData = true;
        }

        if (trace is not null)
            SmtpWireLog.Server(trace, Encoding.UTF8.GetString(buffer, offset, count).TrimEnd());
    }

    public void Dispose()
    {
    }

    private void TrackTail(ReadOnlySpan<byte> bytes)
    {
        // Keep the last five bytes written; dot-stuffing guarantees CRLF.CRLF appears only at the very end.
        if (bytes.Length >= tail.Length)
        {
            bytes[^tail.Length..].CopyTo(tail);
            tailLength = tail.Length;
        }
        else
        {
            var keep = Math.Min(tailLength, tail.Length - bytes.Length);
            tail.AsSpan(tailLength - keep, keep).CopyTo(tail);
            bytes.CopyTo(tail.AsSpan(keep));
            tailLength = keep + bytes.Length;
        }

        if (tailLength == tail.Length && tail.AsSpan().SequenceEqual(EndOfData))
            EndOfDataSent = true;
    }

    private string Redact(byte[] buffer, int offset, int count)
    {
        var secrets = AuthenticationSecretDetector?.DetectSecrets(buffer, offset, count);
        if (secrets is null || secrets.Count == 0)
            return Encoding.UTF8.GetString(buffer, offset, count).TrimEnd();

        var copy = buffer.AsSpan(offset, count).ToArray();
        foreach (var secret in secrets)
            copy.AsSpan(secret.StartIndex - offset, secret.Length).Fill((byte)'*');
        return Encoding.UTF8.GetString(copy).TrimEnd();
    }

    private static bool EndsWithLine(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> line) =>
        bytes.Length >= line.Length
        && Ascii.EqualsIgnoreCase(bytes[^line.Length..], line)
        && (bytes.Length == line.Length || bytes[^(line.Length + 1)] == (byte)'\n');

    private static bool HasLineStartingWith(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> prefix)
    {
        while (true)
        {
            if (bytes.StartsWith(prefix))
                return true;
            var next = bytes.IndexOf((byte)'\n');
            if (next < 0)
                return false;
            bytes = bytes[(next + 1)..];
        }
    }

    private static bool StartsWithCommand(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> command) =>
        bytes.Length >= command.Length && Ascii.EqualsIgnoreCase(bytes[..command.Length], command);
}

internal static partial class SmtpWireLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Trace, Message = "Connected to {Server}")]
    public static partial void Connect(ILogger logger, string server);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Trace, Message = "C: {Line}")]
    public static partial void Client(ILogger logger, string line);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Trace, Message = "S: {Line}")]
    public static partial void Server(ILogger logger, string line);
}
