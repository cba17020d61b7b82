using MimeKit;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// Checks a MimeKit message built by the caller before it is sent: every header line break must be
/// folding (CRLF followed by a space or tab), and no header may carry NUL. A message built with
/// <see cref="MailMessage"/> always passes; a hand-made <see cref="MimeMessage"/> is held to the same rule.
/// </summary>
internal static class MessageSafety
{
    public static void EnsureHeadersSafe(MimeMessage message)
    {
        EnsureHeadersSafe(message.Headers, "message");
        foreach (var entity in message.BodyParts)
            EnsureHeadersSafe(entity.Headers, $"part {entity.ContentType.MimeType}");
    }

    private static void EnsureHeadersSafe(HeaderList headers, string where)
    {
        foreach (var header in headers)
        {
            if (!IsFoldedSafely(header.RawValue))
            {
                throw new ArgumentException(
                    $"Header '{header.Field}' of the {where} contains a CR, LF or NUL that is not header folding; it could inject a header. Remove line breaks from its value.");
            }
        }
    }

    private static bool IsFoldedSafely(ReadOnlySpan<byte> raw)
    {
        // The raw value ends with the CRLF that terminates the field; every other line break must be CRLF + WSP.
        for (var i = 0; i < raw.Length; i++)
        {
            switch (raw[i])
            {
                case 0:
                    return false;
                case (byte)'\r':
                    if (i + 1 >= raw.Length || raw[i + 1] != '\n')
                        return false;
                    break;
                case (byte)'\n':
                    if (i == 0 || raw[i - 1] != '\r')
                        return false;
                    if (i + 1 < raw.Length && raw[i + 1] is not ((byte)' ' or (byte)'\t'))
                        return false;
                    break;
            }
        }

        return true;
    }
}
