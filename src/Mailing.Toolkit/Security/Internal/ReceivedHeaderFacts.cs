using System.Net;
using MimeKit;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Reads the connection facts from the <c>Received</c> header a trusted MTA added when it took the message from the
/// internet: <c>from HELO (rdns [192.0.2.1]) by mx.example.com ...</c> (Postfix, Sendmail, Dovecot LMTP style) or
/// <c>from rdns ([192.0.2.1] helo=HELO) by ...</c> (Exim). Headers below the first one not added by a trusted host
/// are never read: anyone could have written them. A hop between two trusted hosts on internal addresses (loopback,
/// RFC 1918, unique local IPv6) is a relay inside the site, and the boundary is looked for below it.
/// </summary>
internal static class ReceivedHeaderFacts
{
    public static MailConnectionInfo? Find(MimeMessage message, ICollection<string> trustedReceivers)
    {
        if (trustedReceivers.Count == 0)
            return null;

        MailConnectionInfo? facts = null;
        foreach (var header in message.Headers)
        {
            if (header.Id != HeaderId.Received)
                continue;
            var hop = Parse(header.Value);
            if (hop.By is null || !IsTrusted(hop.By, trustedReceivers))
                break;
            // A trusted hop without a client address (local submission) ends the search: the header below it could
            // have been written by anyone.
            if (hop.Address is null)
                break;
            facts = new MailConnectionInfo(hop.Address, hop.Helo, ReturnPath(message));
            // A hop from another trusted host on an internal address is a relay of ours: the boundary is further down.
            // Both conditions, because a client may greet with any name it likes.
            var fromHost = hop.FromName ?? hop.Helo;
            if (fromHost is null || !IsTrusted(fromHost, trustedReceivers) || !IsInternal(hop.Address))
                break;
        }

        return facts;
    }

    private static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address))
            return true;
        var bytes = address.GetAddressBytes();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16) || (bytes[0] == 192 && bytes[1] == 168)
            : (bytes[0] & 0xFE) == 0xFC;
    }

    private static bool IsTrusted(string host, ICollection<string> trusted) =>
        trusted.Any(t => t.Equals(host, StringComparison.OrdinalIgnoreCase));

    private static string? ReturnPath(MimeMessage message)
    {
        var value = message.Headers[HeaderId.ReturnPath];
        if (value is null)
            return null;
        var trimmed = value.Trim().TrimStart('<').TrimEnd('>').Trim();
        return trimmed;
    }

    internal static Hop Parse(string value)
    {
        var text = value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        var semicolon = text.LastIndexOf(';');
        if (semicolon >= 0)
            text = text[..semicolon];

        string? helo = null, fromName = null, by = null;
        IPAddress? address = null;
        var fromIndex = IndexOfWord(text, "from");
        var byIndex = IndexOfWord(text, "by");
        if (byIndex >= 0)
            by = FirstToken(text, byIndex + 2);
        if (fromIndex >= 0)
        {
            var end = byIndex > fromIndex ? byIndex : text.Length;
            var part = text[(fromIndex + 4)..end];
            helo = FirstToken(part, 0);
            var open = part.IndexOf('(', StringComparison.Ordinal);
            var close = part.LastIndexOf(')');
            if (open >= 0 && close > open)
            {
                var comment = part[(open + 1)..close];
                var parts = comment.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 0 && !parts[0].StartsWith('['))
                    fromName = parts[0];
                var heloTag = parts.FirstOrDefault(p => p.StartsWith("helo=", StringComparison.OrdinalIgnoreCase));
                if (heloTag is not null)
                {
                    // Exim: "from rdns ([ip] helo=name)": the first word is the reverse name, helo= the greeting.
                    fromName = helo;
                    helo = heloTag[5..];
                }

                address = BracketedAddress(comment);
            }

            address ??= BracketedAddress(part);
        }

        return new Hop(helo?.Trim('[', ']'), fromName, by, address);
    }

    private static IPAddress? BracketedAddress(string text)
    {
        var open = text.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : text.IndexOf(']', open);
        if (close < 0)
            return null;
        var inside = text[(open + 1)..close];
        if (inside.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
            inside = inside[5..];
        return IPAddress.TryParse(inside, out var address) ? address : null;
    }

    private static int IndexOfWord(string text, string word)
    {
        for (var i = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(word, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = i == 0 || char.IsWhiteSpace(text[i - 1]);
            var after = i + word.Length < text.Length && char.IsWhiteSpace(text[i + word.Length]);
            if (before && after && !InsideComment(text, i))
                return i;
        }

        return -1;
    }

    private static bool InsideComment(string text, int index)
    {
        var depth = 0;
        for (var i = 0; i < index; i++)
        {
            if (text[i] == '(')
                depth++;
            else if (text[i] == ')' && depth > 0)
                depth--;
        }

        return depth > 0;
    }

    private static string? FirstToken(string text, int start)
    {
        var span = text.AsSpan(start).TrimStart();
        var end = span.IndexOfAny(' ', '\t', '(');
        var token = (end < 0 ? span : span[..end]).ToString();
        return token.Length == 0 ? null : token;
    }

    internal readonly record struct Hop(string? Helo, string? FromName, string? By, IPAddress? Address);
}
