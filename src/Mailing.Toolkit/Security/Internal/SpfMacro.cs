using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>The values the macros of RFC 7208 section 7 expand to, for one evaluation of one domain.</summary>
internal readonly record struct SpfMacroValues(
    string Sender,
    string LocalPart,
    string SenderDomain,
    string Domain,
    IPAddress Address,
    string Helo,
    string ValidatedName,
    string ReceivingHost,
    long Timestamp);

/// <summary>Macro syntax checks and expansion (RFC 7208 section 7).</summary>
internal static class SpfMacro
{
    /// <summary>Expansions longer than this are refused: a record cannot make us build megabytes of text.</summary>
    public const int MaxExpansionLength = 8192;

    private static readonly SearchValues<char> Delimiters = SearchValues.Create(".-+,/_=");
    private static readonly SearchValues<char> Unreserved = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~");

    /// <summary>
    /// Checks a macro-string (or, with <paramref name="explanation"/>, an explanation-string, which also allows spaces
    /// and the macros c, r and t).
    /// </summary>
    /// <param name="text">The string to check.</param>
    /// <param name="explanation">Whether it is explanation text.</param>
    /// <param name="endsWithMacro">Whether the last element is a macro-expand (for the domain-end rule).</param>
    /// <param name="error">What is wrong, when it is.</param>
    public static bool IsValidMacroString(string text, bool explanation, out bool endsWithMacro, out string? error)
    {
        endsWithMacro = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                if (c < '!' || c > '~')
                {
                    if (!(explanation && c == ' '))
                    {
                        error = $"the character U+{(int)c:X4} is not allowed";
                        return false;
                    }
                }

                endsWithMacro = false;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                error = "a '%' at the end is not a macro; write %% for a percent sign";
                return false;
            }

            var next = text[++i];
            if (next is '%' or '_' or '-')
            {
                endsWithMacro = true;
                continue;
            }

            if (next != '{')
            {
                error = $"'%{next}' is not a macro: '%' is followed by '{{', '%', '_' or '-'";
                return false;
            }

            if (++i >= text.Length)
            {
                error = "the macro '%{' is not closed";
                return false;
            }

            var letter = char.ToLowerInvariant(text[i]);
            if (letter is 'c' or 'r' or 't')
            {
                if (!explanation)
                {
                    error = $"the macro letter '{text[i]}' is allowed only in explanation text (exp=)";
                    return false;
                }
            }
            else if (letter is not ('s' or 'l' or 'o' or 'd' or 'i' or 'p' or 'v' or 'h'))
            {
                error = $"'{text[i]}' is not a macro letter (s, l, o, d, i, p, v, h; c, r, t in explanations)";
                return false;
            }

            i++;
            var digitsStart = i;
            var digitsValue = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                digitsValue = Math.Min(1000, (digitsValue * 10) + (text[i] - '0'));
                i++;
            }

            if (i > digitsStart && digitsValue == 0)
            {
                error = "a macro's number of parts must not be zero";
                return false;
            }

            if (i < text.Length && text[i] is 'r' or 'R')
                i++;
            while (i < text.Length && Delimiters.Contains(text[i]))
                i++;
            if (i >= text.Length || text[i] != '}')
            {
                error = "a macro is %{letter, digits, 'r', delimiters} and closed by '}'";
                return false;
            }

            endsWithMacro = true;
        }

        error = null;
        return true;
    }

    /// <summary>domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand (section 7.1).</summary>
    public static bool IsValidDomainSpec(string text, out string? error)
    {
        if (text.Length == 0)
        {
            error = "the domain is empty";
            return false;
        }

        if (!IsValidMacroString(text, explanation: false, out var endsWithMacro, out error))
            return false;
        if (endsWithMacro)
            return true;

        var end = text.EndsWith('.') ? text.Length - 1 : text.Length;
        var dot = text.LastIndexOf('.', Math.Max(0, end - 1));
        if (dot < 0 || dot >= end || !IsTopLabel(text.AsSpan(dot + 1, end - dot - 1)) || text.AsSpan(dot, end - dot).Contains('%'))
        {
            error = $"'{text}' does not end in a macro or in '.' and a top-level label (letters, digits, inner '-', not all digits)";
            return false;
        }

        return true;
    }

    private static bool IsTopLabel(ReadOnlySpan<char> label)
    {
        if (label.Length == 0)
            return false;
        var hasLetter = false;
        var hasDash = false;
        foreach (var c in label)
        {
            if (c == '-')
                hasDash = true;
            else if (char.IsAsciiLetter(c))
                hasLetter = true;
            else if (!char.IsAsciiDigit(c))
                return false;
        }

        return hasDash ? label[0] != '-' && label[^1] != '-' : hasLetter;
    }

    /// <summary>Whether a (checked) macro-string uses %{p}, which needs DNS before it can be expanded.</summary>
    public static bool UsesValidatedName(string text)
    {
        for (var i = text.IndexOf('%', StringComparison.Ordinal); i >= 0 && i + 2 < text.Length; i = text.IndexOf('%', i + 2))
        {
            if (text[i + 1] == '{' && text[i + 2] is 'p' or 'P')
                return true;
            if (text[i + 1] == '%')
                i++;
        }

        return false;
    }

    /// <summary>Expands a checked macro-string; <see langword="null"/> when the result would be longer than <see cref="MaxExpansionLength"/>.</summary>
    public static string? Expand(string text, in SpfMacroValues values)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
            return text;
        var builder = new StringBuilder(text.Length + 32);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                builder.Append(c);
                continue;
            }

            var next = text[++i];
            switch (next)
            {
                case '%': builder.Append('%'); continue;
                case '_': builder.Append(' '); continue;
                case '-': builder.Append("%20"); continue;
            }

            // "%{" letter digits [r] delimiters "}", checked already.
            var letter = text[i + 1];
            i += 2;
            var parts = 0;
            while (char.IsAsciiDigit(text[i]))
            {
                parts = Math.Min(1000, (parts * 10) + (text[i] - '0'));
                i++;
            }

            var reverse = false;
            if (text[i] is 'r' or 'R')
            {
                reverse = true;
                i++;
            }

            var delimiterStart = i;
            while (text[i] != '}')
                i++;
            var delimiters = text.AsSpan(delimiterStart, i - delimiterStart);

            var value = Transform(Value(char.ToLowerInvariant(letter), values), parts, reverse, delimiters);
            if (char.IsAsciiLetterUpper(letter))
                AppendUrlEscaped(builder, value);
            else
                builder.Append(value);
            if (builder.Length > MaxExpansionLength)
                return null;
        }

        return builder.Length > MaxExpansionLength ? null : builder.ToString();
    }

    /// <summary>
    /// An expanded domain-spec as a name to query: without a trailing dot, cut from the left to 253 characters
    /// (section 7.3); <see langword="null"/> when it is not a name DNS can ask for (an empty label or one over 63).
    /// </summary>
    public static string? ToQueryName(string expanded)
    {
        var name = expanded.EndsWith('.') ? expanded[..^1] : expanded;
        while (name.Length > 253)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
                return null;
            name = name[(dot + 1)..];
        }

        return IsQueryableName(name) ? name : null;
    }

    /// <summary>Labels of 1 to 63 characters, at most 253 in all.</summary>
    public static bool IsQueryableName(string name)
    {
        if (name.Length is 0 or > 253)
            return false;
        var labelLength = 0;
        foreach (var c in name)
        {
            if (c == '.')
            {
                if (labelLength == 0)
                    return false;
                labelLength = 0;
            }
            else if (++labelLength > 63)
            {
                return false;
            }
        }

        return labelLength > 0;
    }

    /// <summary>The dotted form of an address for the i macro: decimal octets, or 32 hex nibbles (section 7.3).</summary>
    public static string DottedAddress(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return string.Create(63, bytes.ToArray(), static (span, b) =>
        {
            const string Hex = "0123456789ABCDEF";
            for (var n = 0; n < 32; n++)
            {
                var nibble = (n & 1) == 0 ? b[n >> 1] >> 4 : b[n >> 1] & 0xF;
                span[n * 2] = Hex[nibble];
                if (n < 31)
                    span[(n * 2) + 1] = '.';
            }
        });
    }

    /// <summary>The reverse lookup name of an address (in-addr.arpa or ip6.arpa).</summary>
    public static string ReverseName(IPAddress address)
    {
        var dotted = DottedAddress(address);
        var parts = dotted.Split('.');
        Array.Reverse(parts);
        return string.Join('.', parts) + (address.AddressFamily == AddressFamily.InterNetwork ? ".in-addr.arpa" : ".ip6.arpa");
    }

    private static string Value(char letter, in SpfMacroValues values) => letter switch
    {
        's' => values.Sender,
        'l' => values.LocalPart,
        'o' => values.SenderDomain,
        'd' => values.Domain,
        'i' => DottedAddress(values.Address),
        'p' => values.ValidatedName,
        'v' => values.Address.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6",
        'h' => values.Helo,
        'c' => values.Address.ToString(),
        'r' => values.ReceivingHost,
        't' => values.Timestamp.ToString(CultureInfo.InvariantCulture),
        _ => "",
    };

    private static string Transform(string value, int parts, bool reverse, ReadOnlySpan<char> delimiters)
    {
        if (parts == 0 && !reverse && (delimiters.Length == 0 || delimiters.SequenceEqual(".")))
            return value;
        var split = delimiters.Length == 0 ? value.Split('.') : value.Split(delimiters.ToArray());
        if (reverse)
            Array.Reverse(split);
        var skip = parts > 0 && parts < split.Length ? split.Length - parts : 0;
        return string.Join('.', split, skip, split.Length - skip);
    }

    private static void AppendUrlEscaped(StringBuilder builder, string value)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && Unreserved.Contains((char)rune.Value))
            {
                builder.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(utf8);
            for (var k = 0; k < length; k++)
                builder.Append('%').Append(utf8[k].ToString("X2", CultureInfo.InvariantCulture));
        }
    }
}
