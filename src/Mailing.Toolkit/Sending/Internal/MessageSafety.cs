using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// Checks a MimeKit message built by the caller before it is sent: every header line break must be
/// folding (a newline followed by a space or tab), and no header may carry NUL. A message built with
/// <see cref="MailMessage"/> always passes; a hand-made <see cref="MimeMessage"/> is held to the same rule.
/// </summary>
internal static class MessageSafety
{
    public static void EnsureHeadersSafe(MimeMessage message)
    {
        EnsureHeadersSafe(message.Headers, null);
        foreach (var entity in message.BodyParts)
            EnsureHeadersSafe(entity.Headers, entity);
    }

    private static void EnsureHeadersSafe(HeaderList headers, MimeEntity? part)
    {
        foreach (var header in headers)
        {
            if (!IsFoldedSafely(header.RawValue))
            {
                var where = part is null ? "message" : $"part {part.ContentType.MimeType}";
                throw new ArgumentException(
                    $"Header '{header.Field}' of the {where} contains a CR, LF or NUL that is not header folding; it could inject a header. Remove line breaks from its value.");
            }
        }
    }

    private static bool IsFoldedSafely(ReadOnlySpan<byte> raw)
    {
        // MimeKit ends a raw value with the platform newline (LF or CRLF) and folds with newline + WSP;
        // any other line break, a lone CR or a NUL would start a new header on the wire.
        for (var i = 0; i < raw.Length; i++)
        {
            switch (raw[i])
            {
                case 0:
                    return false;
                case (byte)'\r' when i + 1 >= raw.Length || raw[i + 1] != '\n':
                    return false;
                case (byte)'\n' when i + 1 < raw.Length && raw[i + 1] is not ((byte)' ' or (byte)'\t'):
                    return false;
            }
        }

        return true;
    }
}
