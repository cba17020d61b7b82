using System.Buffers;
using System.Text;

namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>What one token of a ManageSieve response line is.</summary>
internal enum SieveTokenKind
{
    Atom,
    String,
    Open,
    Close,
}

/// <summary>
/// One token: an atom (<c>OK</c>, <c>ACTIVE</c>), a string (quoted or literal, decoded as UTF-8) or a parenthesis.
/// <paramref name="IsLiteral"/> marks a string sent as a literal (scripts are), which the wire log shows by size only.
/// </summary>
internal readonly record struct SieveToken(SieveTokenKind Kind, string Value, bool IsLiteral = false);

/// <summary>A final response: <c>OK</c>, <c>NO</c> or <c>BYE</c>, an optional response code with its argument, an optional text.</summary>
internal sealed record ManageSieveResponse(string Status, string? Code, string? CodeArgument, string? Text)
{
    public bool IsOk => Status == "OK";

    /// <summary>The final response <paramref name="line"/> holds, or null when it is a data line.</summary>
    public static ManageSieveResponse? TryParse(IReadOnlyList<SieveToken> line)
    {
        if (line.Count == 0 || line[0].Kind != SieveTokenKind.Atom)
            return null;
        var status = line[0].Value.ToUpperInvariant();
        if (status is not ("OK" or "NO" or "BYE"))
            return null;
        var i = 1;
        string? code = null, argument = null;
        if (i < line.Count && line[i].Kind == SieveTokenKind.Open)
        {
            i++;
            if (i < line.Count && line[i].Kind == SieveTokenKind.Atom)
                code = line[i++].Value.ToUpperInvariant();
            if (i < line.Count && line[i].Kind is SieveTokenKind.String or SieveTokenKind.Atom)
                argument = line[i++].Value;
            while (i < line.Count && line[i].Kind != SieveTokenKind.Close)
                i++;
            i++;
        }

        var text = i < line.Count && line[i].Kind == SieveTokenKind.String ? line[i].Value : null;
        return new ManageSieveResponse(status, code, argument, text);
    }
}

/// <summary>
/// Reads ManageSieve response lines (RFC 5804 4) from a stream: atoms, quoted strings (<c>\</c> escapes), literals
/// (<c>{n}</c> CRLF and n octets) and parentheses. Bounded: a line longer than <c>maxLineLength</c> bytes outside its
/// literals, or a literal longer than <c>maxLiteralLength</c>, throws a <see cref="ManageSieveException"/> (the
/// session cannot continue after it). One response (every line up to OK/NO/BYE, since <see cref="StartResponse"/>)
/// may hold at most <c>maxLiteralLength</c> plus 1 MiB in all, so many literals cannot add up to more.
/// </summary>
internal sealed class ManageSieveReader(Stream stream, int maxLineLength, long maxLiteralLength)
{
    public const int DefaultMaxLineLength = 64 * 1024;

    private readonly long maxResponseLength = maxLiteralLength + 1024 * 1024;
    private long responseLength;

    private readonly byte[] buffer = new byte[8192];
    private int start;
    private int end;
    private int lineLength;

    /// <summary>Starts counting a new response against its total limit.</summary>
    public void StartResponse() => responseLength = 0;

    /// <summary>Reads one response line, literals included.</summary>
    public async ValueTask<List<SieveToken>> ReadLineAsync(CancellationToken cancellationToken)
    {
        var tokens = new List<SieveToken>();
        lineLength = 0;
        while (true)
        {
            var b = await ReadByteAsync(cancellationToken).ConfigureAwait(false);
            switch (b)
            {
                case (byte)' ':
                    continue;
                case (byte)'\r':
                    if (await ReadByteAsync(cancellationToken).ConfigureAwait(false) != '\n')
                        throw Malformed("a CR not followed by LF");
                    return tokens;
                case (byte)'\n':
                    return tokens;
                case (byte)'(':
                    tokens.Add(new SieveToken(SieveTokenKind.Open, "("));
                    continue;
                case (byte)')':
                    tokens.Add(new SieveToken(SieveTokenKind.Close, ")"));
                    continue;
                case (byte)'"':
                    tokens.Add(new SieveToken(SieveTokenKind.String, await ReadQuotedAsync(cancellationToken).ConfigureAwait(false)));
                    continue;
                case (byte)'{':
                    tokens.Add(new SieveToken(SieveTokenKind.String, await ReadLiteralAsync(cancellationToken).ConfigureAwait(false), IsLiteral: true));
                    continue;
                default:
                    tokens.Add(new SieveToken(SieveTokenKind.Atom, await ReadAtomAsync(b, cancellationToken).ConfigureAwait(false)));
                    continue;
            }
        }
    }

    private async ValueTask<string> ReadQuotedAsync(CancellationToken cancellationToken)
    {
        var bytes = new ArrayBufferWriter<byte>();
        while (true)
        {
            var b = await ReadByteAsync(cancellationToken).ConfigureAwait(false);
            if (b == '"')
                return Encoding.UTF8.GetString(bytes.WrittenSpan);
            if (b is (byte)'\r' or (byte)'\n' or 0)
                throw Malformed("a line break or NUL inside a quoted string");
            if (b == '\\')
            {
                b = await ReadByteAsync(cancellationToken).ConfigureAwait(false);
                if (b is (byte)'\r' or (byte)'\n' or 0)
                    throw Malformed("a line break or NUL inside a quoted string");
            }

            bytes.GetSpan(1)[0] = b;
            bytes.Advance(1);
        }
    }

    private async ValueTask<string> ReadLiteralAsync(CancellationToken cancellationToken)
    {
        long length = 0;
        var digits = 0;
        byte b;
        while ((b = await ReadByteAsync(cancellationToken).ConfigureAwait(false)) is >= (byte)'0' and <= (byte)'9')
        {
            length = length * 10 + (b - '0');
            if (++digits > 12 || length > maxLiteralLength)
                throw new ManageSieveException($"The server sent a string of more than {maxLiteralLength} bytes (Mailing:ManageSieve:MaxScriptSize); the session was closed.");
        }

        if (b == '+')
            b = await ReadByteAsync(cancellationToken).ConfigureAwait(false);
        if (digits == 0 || b != '}' || await ReadByteAsync(cancellationToken).ConfigureAwait(false) != '\r' || await ReadByteAsync(cancellationToken).ConfigureAwait(false) != '\n')
            throw Malformed("a literal that is not {number} followed by CRLF");

        responseLength += length;
        if (responseLength > maxResponseLength)
            throw new ManageSieveException($"The server sent a response of more than {maxResponseLength} bytes; the session was closed.");
        var content = new byte[length];
        for (var read = 0; read < content.Length;)
        {
            if (start == end)
                await FillAsync(cancellationToken).ConfigureAwait(false);
            var take = Math.Min(end - start, content.Length - read);
            buffer.AsSpan(start, take).CopyTo(content.AsSpan(read));
            start += take;
            read += take;
        }

        return Encoding.UTF8.GetString(content);
    }

    private async ValueTask<string> ReadAtomAsync(byte first, CancellationToken cancellationToken)
    {
        var atom = new StringBuilder().Append((char)first);
        while (true)
        {
            if (start == end)
                await FillAsync(cancellationToken).ConfigureAwait(false);
            var b = buffer[start];
            if (b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'(' or (byte)')' or (byte)'"' or (byte)'{')
                return atom.ToString();
            await ReadByteAsync(cancellationToken).ConfigureAwait(false);
            atom.Append(b < 0x80 ? (char)b : '?');
        }
    }

    /// <summary>One byte of the line (not of a literal's content), counted against the line limit.</summary>
    private async ValueTask<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        if (start == end)
            await FillAsync(cancellationToken).ConfigureAwait(false);
        if (++lineLength > maxLineLength)
            throw new ManageSieveException($"The server sent a response line longer than {maxLineLength} bytes; the session was closed.");
        if (++responseLength > maxResponseLength)
            throw new ManageSieveException($"The server sent a response of more than {maxResponseLength} bytes; the session was closed.");
        return buffer[start++];
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        start = 0;
        end = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (end == 0)
            throw new ManageSieveException("The ManageSieve server closed the connection.");
    }

    private static ManageSieveException Malformed(string what) =>
        new($"The server's response is not ManageSieve: it contains {what}; the session was closed.");
}
