using System.Globalization;
using System.Text;
using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// The bytes a spam scanner gets: header fields we place above the message (Received, Authentication-Results), then
/// the message with CRLF line ends. Written into a buffer that refuses to grow past the limit, so an oversized message
/// is found out without being copied whole.
/// </summary>
internal static class SpamRequestContent
{
    private static readonly FormatOptions Format = CreateFormat();

    /// <summary>The bytes to send, or null when they would be larger than <paramref name="maxBytes"/>.</summary>
    public static byte[]? Write(MimeMessage message, IReadOnlyList<string> prefixFields, int maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new BoundedBuffer(maxBytes);
        try
        {
            foreach (var field in prefixFields)
            {
                var bytes = Encoding.UTF8.GetBytes(field + "\r\n");
                buffer.Write(bytes, 0, bytes.Length);
            }

            message.WriteTo(Format, buffer, cancellationToken);
        }
        catch (LimitReachedException)
        {
            return null;
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// An RFC 8601 Authentication-Results field for the results, or null when the authserv-id is not a safe token.
    /// Results are written as method=result with the identities that are plain tokens; free text (reasons) is left out,
    /// so nothing from the message can break the field.
    /// </summary>
    public static string? AuthenticationResultsField(MailAuthenticationResults results)
    {
        if (!IsToken(results.AuthServId))
            return null;

        // One method per folded line keeps the field under the line limit however many signatures there are.
        return AuthenticationResultsHeader.Name + ": " + AuthenticationResultsHeader.Format(results, ";\r\n\t", comments: false);
    }

    /// <summary>
    /// A Received field recording the client's hand-over as Postfix writes it (<c>from HELO (rDNS [IP])</c>, the rDNS
    /// name <c>unknown</c> when it is not known), which SpamAssassin parses for its relay rules.
    /// </summary>
    public static string? ReceivedField(MailConnectionInfo connection, string? clientHostName, string byHost, DateTimeOffset now)
    {
        if (connection.ClientAddress is not { } address)
            return null;
        var helo = IsToken(connection.HeloName) ? connection.HeloName : "unknown";
        var reverse = IsToken(clientHostName) ? clientHostName : "unknown";
        var literal = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6:" + address : address.ToString();
        var date = now.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + now.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);
        var by = IsToken(byHost) ? byHost : "localhost";
        return $"Received: from {helo} ({reverse} [{literal}])\r\n\tby {by} with ESMTP; {date}";
    }

    /// <summary>Letters, digits and the few punctuation marks of domains, selectors, addresses and base64.</summary>
    private static bool IsToken(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255)
            return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@' or '+' or '/' or '='))
                return false;
        }

        return true;
    }

    private static FormatOptions CreateFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }

    private sealed class LimitReachedException : Exception;

    /// <summary>A memory stream that throws once its content would pass the limit.</summary>
    private sealed class BoundedBuffer(int limit) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > limit)
                throw new LimitReachedException();
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > limit)
                throw new LimitReachedException();
            base.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            if (Length + 1 > limit)
                throw new LimitReachedException();
            base.WriteByte(value);
        }
    }
}
