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
            if (!IsInternalHop(hop, trustedReceivers))
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

        var fromIndex = IndexOfWord(text, "from");
        var byIndex = IndexOfWord(text, "by");
        var by = byIndex >= 0 ? FirstToken(text, byIndex + 2) : null;
        if (fromIndex < 0)
            return new Hop(null, null, by, null);

        var part = text[(fromIndex + 4)..(byIndex > fromIndex ? byIndex : text.Length)].TrimStart();
        var wordEnd = part.AsSpan().IndexOfAny(' ', '\t');
        var word = wordEnd < 0 ? part : part[..wordEnd];
        // The first word is the client's HELO (Postfix, Sendmail) and the client chooses it: a parenthesis in it is no
        // host name and could open a comment of its own ("x([192.0.2.1])"), so such a hop gives no facts at all.
        if (word.Length == 0 || word.AsSpan().IndexOfAny('(', ')') >= 0)
            return new Hop(null, null, by, null);

        string? helo = word, fromName = null;
        IPAddress? address = null;
        if (Comment(part, word.Length) is { } comment)
        {
            // Exim: "from rdns ([ip] helo=name)": the first word is the reverse name, helo= the greeting. Everything
            // from helo= on is the client's, so the address is only looked for before it.
            var heloAt = comment.IndexOf("helo=", StringComparison.OrdinalIgnoreCase);
            var written = heloAt < 0 ? comment : comment[..heloAt];
            var first = written.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (first is not null && !first.StartsWith('['))
                fromName = first;
            if (heloAt >= 0)
            {
                fromName = word.StartsWith('[') ? null : word;
                var greeting = comment[(heloAt + 5)..];
                var end = greeting.IndexOfAny([' ', '\t']);
                helo = end < 0 ? greeting : greeting[..end];
            }

            address = BracketedAddress(written);
        }

        // Exim without a reverse name writes the address literal itself as the first word: "from [ip] (helo=name)".
        if (address is null && word.StartsWith('[') && word.EndsWith(']'))
            address = BracketedAddress(word);
        return new Hop(helo.Trim('[', ']'), fromName, by, address);
    }

    /// <summary>
    /// Whether the hop is a relay inside the site: from a host of <paramref name="trusted"/>, on an internal address.
    /// Both conditions, because a client may greet with any name it likes.
    /// </summary>
    internal static bool IsInternalHop(Hop hop, ICollection<string> trusted) =>
        hop.Address is not null && (hop.FromName ?? hop.Helo) is { } fromHost && IsTrusted(fromHost, trusted) && IsInternal(hop.Address);

    /// <summary>The text of the first comment after <paramref name="start"/>, its nested comments included, or <see langword="null"/>.</summary>
    private static string? Comment(string text, int start)
    {
        var open = text.IndexOf('(', start);
        if (open < 0)
            return null;
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '(')
                depth++;
            else if (text[i] == ')' && --depth == 0)
                return text[(open + 1)..i];
        }

        return null;
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
