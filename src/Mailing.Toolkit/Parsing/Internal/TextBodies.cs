using System.Buffers;
using System.Text;
using System.Text.Unicode;
using MimeKit;
using MimeKit.IO;

namespace Mailing.Toolkit.Parsing.Internal;

/// <summary>
/// The text of a body part. Most bodies are UTF-8 or ASCII, unencoded (7bit or 8bit), and, parsed in place, a slice
/// of the message buffer: those are decoded straight from the slice, one string and no copies. Everything else
/// (quoted-printable, base64, other charsets, a byte-order mark, invalid UTF-8) goes through
/// <see cref="TextPart.Text"/>, so the result is the one MimeKit gives, with one exception: a body that declares a
/// legacy charset (gb2312, iso-2022-jp, windows-1252 ...) but whose bytes are valid UTF-8 with non-ASCII in them is
/// decoded as UTF-8. Mislabelled UTF-8 is common (mailers that stamp their locale's charset on whatever they send),
/// and the reverse is rare: text really in such a charset is almost never valid UTF-8 once it holds a non-ASCII
/// character, so the declared charset would only turn the right text into mojibake.
/// </summary>
internal static class TextBodies
{
    public static string Decode(TextPart part)
    {
        if (TryDecodeInPlace(part, out var text))
            return text;
        if (!IsLegacy(part.ContentType.Charset) || part.Content is not { } content)
            return part.Text;

        // Decoded once here: when the bytes are not mislabelled UTF-8, MimeKit decodes them again in the declared charset.
        using var decoded = new MemoryStream();
        content.DecodeTo(decoded);
        var bytes = decoded.GetBuffer().AsSpan(0, (int)decoded.Length);
        return IsMislabelledUtf8(bytes) ? DecodeUtf8(bytes) : part.Text;
    }

    /// <summary>Decodes straight from the message buffer when the part allows it; false when MimeKit must decode it.</summary>
    public static bool TryDecodeInPlace(TextPart part, out string text)
    {
        text = string.Empty;
        // MimeKit gives text the platform's line endings (CRLF on Windows); this path produces LF only. And an HTML
        // part without a charset parameter may name one in a <meta> tag, which MimeKit honours.
        if (FormatOptions.Default.NewLineFormat != NewLineFormat.Unix || (part.IsHtml && part.ContentType.Charset is null))
            return false;
        if (part.Content is not { } content || !TrySlice(content, out var bytes))
            return false;
        // UTF-8 as declared, or assumed when nothing is declared (MimeKit tries UTF-8 first too); ASCII bytes also
        // under a declared ASCII superset. Not under ISO-2022-JP and the like, whose escapes are ASCII bytes.
        // Mislabelled UTF-8 under a legacy charset is decoded as UTF-8 (see the summary).
        var charset = part.ContentType.Charset;
        if (!IsUtf8(charset) && !(IsAsciiSuperset(charset!) && Ascii.IsValid(bytes)) && !(IsLegacy(charset) && IsMislabelledUtf8(bytes)))
            return false;
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) || !Utf8.IsValid(bytes))
            return false;
        text = DecodeUtf8(bytes);
        return true;
    }

    private static bool IsMislabelledUtf8(ReadOnlySpan<byte> bytes) =>
        !Ascii.IsValid(bytes) && !bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) && Utf8.IsValid(bytes);

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes) =>
        bytes.Contains((byte)'\r') ? DecodeDos2Unix(bytes) : Encoding.UTF8.GetString(bytes);

    private static bool TrySlice(IMimeContent content, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (content is not { Encoding: ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit or ContentEncoding.Binary, Stream: BoundStream bound })
            return false;
        if (bound.BaseStream is not MemoryStream memory || !memory.TryGetBuffer(out var buffer))
            return false;
        var start = bound.StartBoundary;
        var end = bound.EndBoundary < 0 ? buffer.Count : bound.EndBoundary;
        if (start < 0 || end < start || end > buffer.Count)
            return false;
        bytes = buffer.AsSpan((int)start, (int)(end - start));
        return true;
    }

    /// <summary>
    /// Decodes and does what MimeKit's decoding does to CRLF text: every CR that ends a line goes, as does a CR at
    /// the very end (its filter holds a CR back until it sees the next byte, and there is none).
    /// </summary>
    private static string DecodeDos2Unix(ReadOnlySpan<byte> bytes)
    {
        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
        try
        {
            var decoded = chars.AsSpan(0, Encoding.UTF8.GetChars(bytes, chars));
            var length = 0;
            for (var i = 0; i < decoded.Length; i++)
            {
                var c = decoded[i];
                if (c == '\r' && (i + 1 == decoded.Length || decoded[i + 1] == '\n'))
                    continue;
                decoded[length++] = c;
            }

            return new string(decoded[..length]);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static bool IsUtf8(string? charset) =>
        charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    /// <summary>A declared charset other than the Unicode ones (whose bytes are never read as UTF-8).</summary>
    private static bool IsLegacy(string? charset) =>
        charset is not null && !IsUtf8(charset)
        && !charset.StartsWith("utf-", StringComparison.OrdinalIgnoreCase)
        && !charset.StartsWith("ucs-", StringComparison.OrdinalIgnoreCase)
        && !charset.StartsWith("unicode", StringComparison.OrdinalIgnoreCase);

    private static bool IsAsciiSuperset(string charset) =>
        charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase)
        || charset.StartsWith("iso-8859-", StringComparison.OrdinalIgnoreCase)
        || charset.StartsWith("windows-125", StringComparison.OrdinalIgnoreCase);
}
