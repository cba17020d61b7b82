using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>The mechanisms of RFC 7208 section 5.</summary>
internal enum SpfMechanismKind
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>One mechanism of a record, checked for syntax; its domain-spec is kept unexpanded.</summary>
internal sealed class SpfMechanism
{
    public SpfMechanism(SpfMechanismKind kind, AuthenticationStatus qualifier, string text)
    {
        Kind = kind;
        Qualifier = qualifier;
        Text = text;
    }

    public SpfMechanismKind Kind { get; }

    /// <summary>The result when the mechanism matches: Pass, Fail, SoftFail or Neutral.</summary>
    public AuthenticationStatus Qualifier { get; }

    /// <summary>The term as written in the record.</summary>
    public string Text { get; }

    /// <summary>The domain-spec (a macro-string), or <see langword="null"/> for the current domain.</summary>
    public string? DomainSpec { get; init; }

    /// <summary>The network of ip4 and ip6.</summary>
    public IPAddress? Network { get; init; }

    public int Cidr4 { get; init; } = 32;

    public int Cidr6 { get; init; } = 128;

    /// <summary>Whether the mechanism asks DNS, and so counts against the 10-term limit.</summary>
    public bool QueriesDns => Kind is SpfMechanismKind.Include or SpfMechanismKind.A or SpfMechanismKind.Mx or SpfMechanismKind.Ptr or SpfMechanismKind.Exists;
}

/// <summary>A parsed <c>v=spf1</c> record (RFC 7208 sections 4.5 to 6).</summary>
internal sealed class SpfRecord
{
    private static readonly SearchValues<char> Ip6Characters = SearchValues.Create("0123456789abcdefABCDEF:.");

    private SpfRecord(IReadOnlyList<SpfMechanism> mechanisms, string? redirect, string? explanation)
    {
        Mechanisms = mechanisms;
        Redirect = redirect;
        Explanation = explanation;
    }

    public IReadOnlyList<SpfMechanism> Mechanisms { get; }

    /// <summary>The <c>redirect=</c> domain-spec.</summary>
    public string? Redirect { get; }

    /// <summary>The <c>exp=</c> domain-spec.</summary>
    public string? Explanation { get; }

    /// <summary>Whether a TXT record is an SPF version 1 record: "v=spf1" (any case) alone or followed by a space.</summary>
    public static bool IsSpfRecord(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>
    /// Parses a whole record, so a syntax error anywhere is found before any term is evaluated (section 4.6).
    /// </summary>
    /// <returns>The record, or <see langword="null"/> with <paramref name="error"/> saying what is wrong.</returns>
    public static SpfRecord? Parse(string text, int maxLength, out string? error)
    {
        if (text.Length > maxLength)
        {
            error = $"the record is {text.Length} characters long, more than the limit of {maxLength}";
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != ' ' && (c < '!' || c > '~'))
            {
                error = $"the record holds the character U+{(int)c:X4} at position {i}; only printable ASCII and spaces are allowed";
                return null;
            }
        }

        var mechanisms = new List<SpfMechanism>();
        string? redirect = null;
        string? explanation = null;
        var first = true;
        foreach (var range in text.AsSpan().Split(' '))
        {
            var term = text[range];
            if (term.Length == 0)
                continue;
            if (first)
            {
                first = false; // "v=spf1", checked by IsSpfRecord
                continue;
            }

            var equals = term.IndexOf('=', StringComparison.Ordinal);
            var nameEnd = term.AsSpan().IndexOfAny(':', '/');
            if (equals >= 0 && (nameEnd < 0 || equals < nameEnd))
            {
                var name = term[..equals];
                var value = term[(equals + 1)..];
                if (!IsModifierName(name))
                {
                    error = $"'{term}' is not a valid modifier: a name starts with a letter and holds letters, digits, '-', '_' and '.'";
                    return null;
                }

                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase) || name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    var isRedirect = name.Length == 8;
                    if ((isRedirect ? redirect : explanation) is not null)
                    {
                        error = $"the modifier {name.ToLowerInvariant()}= appears more than once";
                        return null;
                    }

                    if (!SpfMacro.IsValidDomainSpec(value, out var specError))
                    {
                        error = $"'{term}': {specError}";
                        return null;
                    }

                    if (isRedirect)
                        redirect = value;
                    else
                        explanation = value;
                }
                else if (!SpfMacro.IsValidMacroString(value, explanation: false, out _, out var macroError))
                {
                    error = $"'{term}': {macroError}";
                    return null;
                }

                continue;
            }

            var mechanism = ParseMechanism(term, out error);
            if (mechanism is null)
                return null;
            mechanisms.Add(mechanism);
        }

        error = null;
        return new SpfRecord(mechanisms, redirect, explanation);
    }

    private static SpfMechanism? ParseMechanism(string term, out string? error)
    {
        var qualifier = AuthenticationStatus.Pass;
        var start = 0;
        switch (term[0])
        {
            case '+': start = 1; break;
            case '-': qualifier = AuthenticationStatus.Fail; start = 1; break;
            case '~': qualifier = AuthenticationStatus.SoftFail; start = 1; break;
            case '?': qualifier = AuthenticationStatus.Neutral; start = 1; break;
        }

        var nameEnd = start;
        while (nameEnd < term.Length && char.IsAsciiLetterOrDigit(term[nameEnd]))
            nameEnd++;
        var name = term[start..nameEnd];
        var rest = term[nameEnd..];
        error = null;
        switch (name.ToLowerInvariant())
        {
            case "all":
                if (rest.Length != 0)
                    return Fail(term, "all takes no argument", out error);
                return new SpfMechanism(SpfMechanismKind.All, qualifier, term);

            case "include":
            case "exists":
                {
                    if (rest.Length == 0 || rest[0] != ':')
                        return Fail(term, $"{name.ToLowerInvariant()} needs ':' and a domain", out error);
                    var spec = rest[1..];
                    if (!SpfMacro.IsValidDomainSpec(spec, out var specError))
                        return Fail(term, specError!, out error);
                    var kind = name.Length == 7 ? SpfMechanismKind.Include : SpfMechanismKind.Exists;
                    return new SpfMechanism(kind, qualifier, term) { DomainSpec = spec };
                }

            case "a":
            case "mx":
                {
                    if (!TryTakeDualCidr(ref rest, out var cidr4, out var cidr6, out var cidrError))
                        return Fail(term, cidrError!, out error);
                    string? spec = null;
                    if (rest.Length != 0)
                    {
                        if (rest[0] != ':')
                            return Fail(term, $"{name.ToLowerInvariant()} is followed by ':' and a domain, or by a CIDR length", out error);
                        spec = rest[1..];
                        if (!SpfMacro.IsValidDomainSpec(spec, out var specError))
                            return Fail(term, specError!, out error);
                    }

                    var kind = name.Length == 1 ? SpfMechanismKind.A : SpfMechanismKind.Mx;
                    return new SpfMechanism(kind, qualifier, term) { DomainSpec = spec, Cidr4 = cidr4, Cidr6 = cidr6 };
                }

            case "ptr":
                {
                    string? spec = null;
                    if (rest.Length != 0)
                    {
                        if (rest[0] != ':')
                            return Fail(term, "ptr is followed by nothing or by ':' and a domain", out error);
                        spec = rest[1..];
                        if (!SpfMacro.IsValidDomainSpec(spec, out var specError))
                            return Fail(term, specError!, out error);
                    }

                    return new SpfMechanism(SpfMechanismKind.Ptr, qualifier, term) { DomainSpec = spec };
                }

            case "ip4":
            case "ip6":
                {
                    var v4 = name[2] == '4';
                    if (rest.Length < 2 || rest[0] != ':')
                        return Fail(term, $"{name.ToLowerInvariant()} needs ':' and a network", out error);
                    var network = rest[1..];
                    var prefix = v4 ? 32 : 128;
                    var slash = network.LastIndexOf('/');
                    if (slash >= 0)
                    {
                        if (!TryParseCidr(network.AsSpan(slash + 1), v4 ? 32 : 128, out prefix))
                            return Fail(term, $"the CIDR length must be a number from 0 to {(v4 ? 32 : 128)} without leading zeros", out error);
                        network = network[..slash];
                    }

                    var address = v4 ? ParseIp4(network) : ParseIp6(network);
                    if (address is null)
                        return Fail(term, v4 ? $"'{network}' is not a dotted-quad IPv4 address" : $"'{network}' is not an IPv6 address", out error);
                    return v4
                        ? new SpfMechanism(SpfMechanismKind.Ip4, qualifier, term) { Network = address, Cidr4 = prefix }
                        : new SpfMechanism(SpfMechanismKind.Ip6, qualifier, term) { Network = address, Cidr6 = prefix };
                }

            default:
                return Fail(term, name.Length == 0 ? "not a mechanism or modifier" : $"unknown mechanism '{name}'", out error);
        }
    }

    private static SpfMechanism? Fail(string term, string reason, out string? error)
    {
        error = $"'{term}': {reason}";
        return null;
    }

    /// <summary>Takes <c>[ "/" ip4-cidr ] [ "//" ip6-cidr ]</c> off the end of an a or mx argument.</summary>
    private static bool TryTakeDualCidr(ref string rest, out int cidr4, out int cidr6, out string? error)
    {
        cidr4 = 32;
        cidr6 = 128;
        error = null;
        var digits = TrailingDigits(rest);
        if (digits > 0 && rest.Length - digits >= 2 && rest[^(digits + 1)] == '/' && rest[^(digits + 2)] == '/')
        {
            if (!TryParseCidr(rest.AsSpan(rest.Length - digits), 128, out cidr6))
            {
                error = "the IPv6 CIDR length must be a number from 0 to 128 without leading zeros";
                return false;
            }

            rest = rest[..^(digits + 2)];
            digits = TrailingDigits(rest);
        }

        if (digits > 0 && rest.Length - digits >= 1 && rest[^(digits + 1)] == '/')
        {
            if (!TryParseCidr(rest.AsSpan(rest.Length - digits), 32, out cidr4))
            {
                error = "the IPv4 CIDR length must be a number from 0 to 32 without leading zeros";
                return false;
            }

            rest = rest[..^(digits + 1)];
        }

        return true;
    }

    private static int TrailingDigits(string text)
    {
        var count = 0;
        while (count < text.Length && char.IsAsciiDigit(text[^(count + 1)]))
            count++;
        return count;
    }

    private static bool TryParseCidr(ReadOnlySpan<char> text, int max, out int value)
    {
        value = 0;
        if (text.Length is 0 or > 3 || (text.Length > 1 && text[0] == '0'))
            return false;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = (value * 10) + (c - '0');
        }

        return value <= max;
    }

    /// <summary>ip4-network: four decimal numbers 0-255 without leading zeros (section 5.6).</summary>
    private static IPAddress? ParseIp4(string text)
    {
        Span<byte> bytes = stackalloc byte[4];
        var part = 0;
        var value = -1;
        var length = 0;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (value < 0 || part == 3)
                    return null;
                bytes[part++] = (byte)value;
                value = -1;
                length = 0;
                continue;
            }

            if (!char.IsAsciiDigit(c) || (length == 1 && value == 0))
                return null;
            value = (value < 0 ? 0 : value * 10) + (c - '0');
            length++;
            if (value > 255)
                return null;
        }

        if (part != 3 || value < 0)
            return null;
        bytes[3] = (byte)value;
        return new IPAddress(bytes);
    }

    private static IPAddress? ParseIp6(string text)
    {
        if (text.Length == 0 || text.AsSpan().ContainsAnyExcept(Ip6Characters))
            return null;
        return IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6 ? address : null;
    }

    private static bool IsModifierName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
            return false;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
                return false;
        }

        return true;
    }
}
