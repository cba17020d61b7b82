using System.Text;
using MimeKit;

namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>Bounded, linear text helpers shared by the classifiers: part text, addresses, status and reply codes.</summary>
internal static class ClassificationText
{
    // Words of the rule lines MTAs put above the returned message ("------ This is a copy of the message",
    // "--- Below this line is a copy", "----- Unsent message follows -----", "----- Original message -----").
    private static readonly string[] CopyMarkers = ["original", "copy of", "message follows", "headers", "returned message", "unsent", "enclosed", "below this line"];

    /// <summary>
    /// The human-readable part of a notice: at most <see cref="MailClassifier.MaxScanChars"/> characters, cut
    /// where a copy of the original message starts (a dashed "copy of the message" line, or its Received /
    /// Return-Path header lines), so addresses and codes of the returned message are not taken for results.
    /// </summary>
    public static string Notice(string text)
    {
        if (text.Length > MailClassifier.MaxScanChars)
            text = text[..MailClassifier.MaxScanChars];

        var position = 0;
        while (position < text.Length)
        {
            var end = text.IndexOf('\n', position);
            if (end < 0)
                end = text.Length;
            if (IsOriginalMessageStart(text.AsSpan(position, end - position)))
                return text[..position];
            position = end + 1;
        }
        return text;
    }

    private static bool IsOriginalMessageStart(ReadOnlySpan<char> line)
    {
        if (line.StartsWith("Received:", StringComparison.OrdinalIgnoreCase)
            || line.StartsWith("Return-Path:", StringComparison.OrdinalIgnoreCase)
            || line.StartsWith("DKIM-Signature:", StringComparison.OrdinalIgnoreCase))
            return true;

        line = line.Trim();
        if (line.Length < 2 || !IsRule(line[0]) || !IsRule(line[1]))
            return false;
        foreach (var marker in CopyMarkers)
        {
            if (line.Contains(marker, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;

        static bool IsRule(char c) => c is '-' or '=' or '_';
    }

    /// <summary>
    /// Text for a message the caller had no body for: its first <c>text/plain</c> part wherever it is nested, or
    /// the preamble of a multipart whose boundaries are missing (the whole body then sits there).
    /// </summary>
    public static string? FallbackText(MimeMessage message)
    {
        string? preamble = null;
        foreach (var entity in MimeParts.Walk(message))
        {
            if (entity is TextPart { IsPlain: true, IsAttachment: false } text)
                return ReadPart(text);
            if (preamble is null && entity is Multipart { Count: 0, Preamble.Length: > 0 } broken)
                preamble = broken.Preamble;
        }
        return preamble;
    }

    /// <summary>
    /// Where the line holding <paramref name="position"/> starts, looking back at most <see cref="MaxLookBehind"/>
    /// characters, so that examining every address of one enormous line stays linear.
    /// </summary>
    public static int LineStart(string text, int position)
    {
        var floor = Math.Max(0, position - MaxLookBehind);
        var newline = position == 0 ? -1 : text.LastIndexOf('\n', position - 1, position - floor);
        return newline >= 0 ? newline + 1 : floor;
    }

    /// <summary>How far back <see cref="LineStart"/> looks for the start of a line.</summary>
    public const int MaxLookBehind = 512;

    /// <summary>The decoded content of a part, at most <see cref="MailClassifier.MaxScanChars"/> characters.</summary>
    public static string ReadPart(MimePart part)
    {
        if (part is TextPart text)
        {
            var value = text.Text ?? string.Empty;
            return value.Length > MailClassifier.MaxScanChars ? value[..MailClassifier.MaxScanChars] : value;
        }
        if (part.Content is null)
            return string.Empty;

        // Report parts are US-ASCII, or UTF-8 for the message/global-* types (RFC 6533).
        using var stream = part.Content.Open();
        var buffer = new byte[MailClassifier.MaxScanChars];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            length += read;
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>The address in a DSN address field such as <c>rfc822; user@example.com</c> or <c>&lt;user@example.com&gt;</c>.</summary>
    public static string? FieldAddress(string value)
    {
        var semicolon = value.IndexOf(';');
        var address = (semicolon >= 0 ? value[(semicolon + 1)..] : value).Trim().Trim('<', '>', '"', ' ', '\t');
        var found = FirstAddress(address);
        return found ?? (address.Length > 0 && address.Contains('@') ? address : null);
    }

    /// <summary>The part of a typed DSN value after <c>type;</c> (<c>dns; mx.example.com</c> gives <c>mx.example.com</c>).</summary>
    public static string StripType(string value)
    {
        var semicolon = value.IndexOf(';');
        return (semicolon >= 0 ? value[(semicolon + 1)..] : value).Trim();
    }

    /// <summary>The first e-mail address in the text, or <see langword="null"/>.</summary>
    public static string? FirstAddress(string text)
    {
        foreach (var (start, length) in Addresses(text))
            return text.Substring(start, length);
        return null;
    }

    /// <summary>The e-mail addresses in the text, in order, as (start, length) ranges.</summary>
    public static IEnumerable<(int Start, int Length)> Addresses(string text)
    {
        var from = 0;
        while (from < text.Length)
        {
            var at = text.IndexOf('@', from);
            if (at < 0)
                yield break;

            var start = at;
            while (start > 0 && IsLocalChar(text[start - 1]) && at - start < 64)
                start--;
            while (start < at && text[start] == '.')
                start++;

            var end = at + 1;
            while (end < text.Length && IsDomainChar(text[end]) && end - at < 256)
                end++;
            while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-'))
                end--;

            var domain = text.AsSpan(at + 1, end - at - 1);
            if (start < at && domain.Contains('.') && !domain.StartsWith("."))
                yield return (start, end - start);
            from = Math.Max(end, at + 1);
        }

        static bool IsLocalChar(char c) => char.IsAsciiLetterOrDigit(c) || c > 0x7F && char.IsLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.".Contains(c);

        static bool IsDomainChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' || c > 0x7F && char.IsLetterOrDigit(c);
    }

    /// <summary>
    /// The enhanced status code (RFC 3463, <c>d.d.d</c>, not part of an IP address or version number) of the
    /// text: the first one that follows an SMTP reply code (<c>550 5.7.1</c>, <c>550-'5.7.1</c>), else the first.
    /// </summary>
    public static string? FindStatus(ReadOnlySpan<char> text)
    {
        string? first = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is not ('2' or '4' or '5') || i + 4 >= text.Length || text[i + 1] != '.')
                continue;
            if (i > 0 && (char.IsAsciiDigit(text[i - 1]) || text[i - 1] == '.' || char.IsAsciiLetter(text[i - 1])))
                continue;

            var j = i + 2;
            var subject = DigitRun(text, ref j, 3);
            if (subject == 0 || j >= text.Length || text[j] != '.')
                continue;
            j++;
            var detail = DigitRun(text, ref j, 3);
            if (detail == 0)
                continue;
            // A fourth dotted number makes it an IP address or version, not a status.
            if (j < text.Length && (char.IsAsciiDigit(text[j]) || text[j] == '.' && j + 1 < text.Length && char.IsAsciiDigit(text[j + 1])))
                continue;
            if (FollowsReplyCode(text, i))
                return text[i..j].ToString();
            first ??= text[i..j].ToString();
            i = j;
        }
        return first;
    }

    private static bool FollowsReplyCode(ReadOnlySpan<char> text, int index)
    {
        var k = index;
        for (var skipped = 0; skipped < 2 && k > 0 && text[k - 1] is ' ' or '-' or '\'' or '"' or '#'; skipped++)
            k--;
        return k >= 3 && k < index && text[k - 3] is '2' or '4' or '5' && char.IsAsciiDigit(text[k - 2]) && char.IsAsciiDigit(text[k - 1])
            && (k == 3 || !char.IsAsciiDigit(text[k - 4]));
    }

    private static int DigitRun(ReadOnlySpan<char> text, ref int index, int max)
    {
        var count = 0;
        while (index < text.Length && char.IsAsciiDigit(text[index]) && count <= max)
        {
            index++;
            count++;
        }
        return count > max ? 0 : count;
    }

    /// <summary>
    /// The first SMTP reply code (<c>4yz</c> or <c>5yz</c>) in the text, written as a reply is: a three-digit
    /// word followed by a space, a hyphen, a colon or the end; 0 when there is none.
    /// </summary>
    public static int FindReplyCode(ReadOnlySpan<char> text)
    {
        for (var i = 0; i + 2 < text.Length; i++)
        {
            var c = text[i];
            if (c is not ('4' or '5') || !char.IsAsciiDigit(text[i + 1]) || !char.IsAsciiDigit(text[i + 2]))
                continue;
            if (i > 0 && !(text[i - 1] is ' ' or '\t' or '\n' or '(' or '#' or ':' or '"' or '[' or ';'))
                continue;
            var after = i + 3 < text.Length ? text[i + 3] : ' ';
            if (after is not (' ' or '-' or ':' or '\r' or '\n' or ')' or '"'))
                continue;
            if (text[i + 1] > '5')
                continue;
            return (c - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
        }
        return 0;
    }

    /// <summary>Collapses runs of white space into single spaces and trims, capping the result at <paramref name="max"/> characters.</summary>
    public static string Collapse(ReadOnlySpan<char> text, int max = 1000)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max));
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }
            if (space)
                builder.Append(' ');
            space = false;
            builder.Append(c);
            if (builder.Length >= max)
                break;
        }
        return builder.ToString();
    }
}
