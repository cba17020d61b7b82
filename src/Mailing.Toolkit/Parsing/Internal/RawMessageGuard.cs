using System.Text;

namespace Mailing.Toolkit.Parsing.Internal;

/// <summary>
/// Checks the header sections of raw message bytes against the hard header limits before MimeKit parses them.
/// MimeKit's time on one header field grows with the square of the field's length (about 3 s for a 1 MB
/// References field, minutes for 20 MB), so an oversized field must be refused before it gets there.
/// </summary>
/// <remarks>
/// One forward pass over the lines. A header section is the message's own, the one after each boundary line of
/// a boundary declared in an earlier Content-Type field, and the one after the header of a <c>message/*</c> or
/// <c>text/rfc822-headers</c> part (an attached message starts with its own header). Body lines are only looked
/// at for a leading <c>--</c>, so long body lines (base64 without line breaks, one-line HTML) cost nothing and
/// are not limited here.
/// </remarks>
internal static class RawMessageGuard
{
    // A part header cannot declare more boundaries than there are parts; this bounds the list scanned per "--" line.
    private const int MaxBoundaries = 256;

    public static void Check(ReadOnlySpan<byte> data, MailParserOptions options)
    {
        var boundaries = new List<byte[]>();
        var inHeader = true;
        var nextSectionIsHeader = false;
        var fieldCount = 0;
        var fieldStart = -1;
        var fieldEnd = -1;
        var position = 0;

        while (position < data.Length)
        {
            var newline = data[position..].IndexOf((byte)'\n');
            var end = newline < 0 ? data.Length : position + newline;
            var next = newline < 0 ? data.Length : end + 1;
            var line = data[position..end];
            if (line.Length > 0 && line[^1] == (byte)'\r')
                line = line[..^1];

            if (inHeader)
            {
                if (line.IsEmpty)
                {
                    nextSectionIsHeader = EndField(data, fieldStart, fieldEnd, boundaries) | nextSectionIsHeader;
                    fieldStart = -1;
                    inHeader = nextSectionIsHeader;
                    nextSectionIsHeader = false;
                    fieldCount = 0;
                }
                else if (line[0] is (byte)' ' or (byte)'\t' && fieldStart >= 0)
                {
                    fieldEnd = end;
                }
                else if (fieldCount > 0 && !LooksLikeField(line))
                {
                    // Not a header line: like MimeKit, take it as the start of the body (base64 in a message/* part, say).
                    EndField(data, fieldStart, fieldEnd, boundaries);
                    fieldStart = -1;
                    inHeader = nextSectionIsHeader = false;
                }
                else
                {
                    nextSectionIsHeader = EndField(data, fieldStart, fieldEnd, boundaries) | nextSectionIsHeader;
                    if (++fieldCount > options.MaxHeaderCount)
                    {
                        throw new MailParseException(
                            $"A header section has more than {options.MaxHeaderCount} fields (Mailing:Parsing:MaxHeaderCount), near byte {position}.",
                            nameof(MailParserOptions.MaxHeaderCount));
                    }
                    fieldStart = position;
                    fieldEnd = end;
                }

                if (fieldStart >= 0 && fieldEnd - fieldStart > options.MaxHeaderFieldLength)
                {
                    throw new MailParseException(
                        $"A header field at byte {fieldStart} is longer than {options.MaxHeaderFieldLength} bytes (Mailing:Parsing:MaxHeaderFieldLength): {Describe(data, fieldStart)}.",
                        nameof(MailParserOptions.MaxHeaderFieldLength));
                }
            }
            else if (line.Length > 2 && line[0] == (byte)'-' && line[1] == (byte)'-' && IsOpeningBoundary(line[2..], boundaries))
            {
                inHeader = true;
                fieldCount = 0;
                fieldStart = -1;
            }

            position = next;
        }
    }

    /// <summary>Records the boundary a finished Content-Type field declares; true when the section after this header holds another header.</summary>
    private static bool EndField(ReadOnlySpan<byte> data, int start, int end, List<byte[]> boundaries)
    {
        if (start < 0)
            return false;
        var field = data[start..end];
        const string name = "content-type:";
        if (field.Length < name.Length || !Ascii.EqualsIgnoreCase(field[..name.Length], name))
            return false;

        var value = field[name.Length..];
        if (boundaries.Count < MaxBoundaries && Parameter(value, "boundary"u8) is { Length: > 0 } boundary)
            boundaries.Add(boundary);
        var type = value.TrimStart(" \t\r\n"u8);
        return StartsWithIgnoreCase(type, "message/"u8) || StartsWithIgnoreCase(type, "text/rfc822-headers"u8);
    }

    /// <summary>The value of a Content-Type parameter (quoted or a token, folding removed), or null.</summary>
    private static byte[]? Parameter(ReadOnlySpan<byte> value, ReadOnlySpan<byte> parameter)
    {
        for (var from = 0; from < value.Length;)
        {
            var at = IndexOfIgnoreCase(value[from..], parameter);
            if (at < 0)
                return null;
            at += from;
            var rest = value[(at + parameter.Length)..].TrimStart(" \t\r\n"u8);
            var preceded = at == 0 || value[at - 1] is (byte)';' or (byte)' ' or (byte)'\t' or (byte)'\n';
            if (!preceded || rest.IsEmpty || rest[0] != (byte)'=')
            {
                from = at + parameter.Length;
                continue;
            }
            rest = rest[1..].TrimStart(" \t\r\n"u8);
            if (!rest.IsEmpty && rest[0] == (byte)'"')
            {
                var close = rest[1..].IndexOf((byte)'"');
                return Unfold(close < 0 ? rest[1..] : rest[1..(close + 1)]);
            }
            var stop = rest.IndexOfAny(";\r\n \t"u8);
            return Unfold(stop < 0 ? rest : rest[..stop]);
        }
        return null;
    }

    private static byte[] Unfold(ReadOnlySpan<byte> value)
    {
        var result = new List<byte>(value.Length);
        foreach (var b in value)
        {
            if (b is not ((byte)'\r' or (byte)'\n'))
                result.Add(b);
        }
        return [.. result];
    }

    /// <summary>True for <c>--boundary</c> (a part starts) of a declared boundary; false for the closing <c>--boundary--</c>.</summary>
    private static bool IsOpeningBoundary(ReadOnlySpan<byte> line, List<byte[]> boundaries)
    {
        line = line.TrimEnd(" \t"u8);
        foreach (var boundary in boundaries)
        {
            if (line.SequenceEqual(boundary))
                return true;
        }
        return false;
    }

    /// <summary>A field name (printable ASCII without spaces) followed by a colon, optionally after white space.</summary>
    private static bool LooksLikeField(ReadOnlySpan<byte> line)
    {
        var colon = line[..Math.Min(line.Length, 256)].IndexOf((byte)':');
        if (colon <= 0)
            return false;
        var name = line[..colon].TrimEnd(" 	"u8);
        return !name.IsEmpty && !name.ContainsAnyExceptInRange((byte)'!', (byte)'~');
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix) =>
        value.Length >= prefix.Length && Ascii.EqualsIgnoreCase(value[..prefix.Length], prefix);

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> lowercase)
    {
        for (var i = 0; i + lowercase.Length <= value.Length; i++)
        {
            var at = value[i..].IndexOfAny(lowercase[0], (byte)char.ToUpperInvariant((char)lowercase[0]));
            if (at < 0)
                return -1;
            i += at;
            if (i + lowercase.Length <= value.Length && Ascii.EqualsIgnoreCase(value.Slice(i, lowercase.Length), lowercase))
                return i;
        }
        return -1;
    }

    /// <summary>The field name for the error message (never its value, which is untrusted and huge).</summary>
    private static string Describe(ReadOnlySpan<byte> data, int start)
    {
        var line = data[start..Math.Min(data.Length, start + 80)];
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return "a field without a name";
        var name = line[..colon];
        return Ascii.IsValid(name) && name.IndexOfAny(" \t\r\n"u8) < 0 ? $"field '{Encoding.ASCII.GetString(name)}'" : "a field with an invalid name";
    }
}
