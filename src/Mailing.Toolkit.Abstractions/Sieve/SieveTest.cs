namespace Mailing.Toolkit.Sieve;

/// <summary>How a Sieve test compares (RFC 5228 2.7.1); comparisons ignore ASCII case.</summary>
public enum SieveMatch
{
    /// <summary>The whole value equals one of the keys.</summary>
    Is,

    /// <summary>The value contains one of the keys.</summary>
    Contains,

    /// <summary>The value matches one of the keys as a wildcard pattern (<c>*</c> any run, <c>?</c> one character).</summary>
    Matches,
}

/// <summary>Which part of an address an address or envelope test compares (RFC 5228 2.7.4).</summary>
public enum SieveAddressPart
{
    /// <summary>The whole address, <c>local@domain</c>.</summary>
    All,

    /// <summary>The part before the <c>@</c>.</summary>
    LocalPart,

    /// <summary>The part after the <c>@</c>.</summary>
    Domain,
}

/// <summary>
/// A condition of a <see cref="SieveRule"/>. Made by the static methods (header, address, envelope, size and spam
/// tests, combined with <see cref="AllOf"/>, <see cref="AnyOf"/> and <see cref="Not"/>); every value is quoted when the
/// script is written, and one that would need a line break is refused.
/// </summary>
public abstract class SieveTest
{
    private protected SieveTest()
    {
    }

    /// <summary>Always true: the rule's actions run for every message.</summary>
    public static SieveTest True { get; } = new Literal("true");

    /// <summary>
    /// A message a spam filter upstream marked as spam: SpamAssassin's <c>X-Spam-Flag: YES</c> or <c>X-Spam-Status: Yes</c>,
    /// or rspamd's <c>X-Spam: Yes</c>. (Messages arriving from outside can carry these too: trust them only where the
    /// receiving MTA removes incoming ones.)
    /// </summary>
    public static SieveTest SpamFlagged { get; } = AnyOf(
        Header("X-Spam-Flag", SieveMatch.Is, "YES"),
        Header("X-Spam", SieveMatch.Is, "Yes"),
        Header("X-Spam-Status", SieveMatch.Matches, "Yes*"));

    /// <summary>A header of the message compared with one or more keys.</summary>
    public static SieveTest Header(string name, SieveMatch match, params string[] keys) => Header([name], match, keys);

    /// <summary>Any of several headers compared with any of several keys.</summary>
    public static SieveTest Header(IEnumerable<string> names, SieveMatch match, IEnumerable<string> keys) =>
        new Compare("header", null, Checked(names, SieveWriter.HeaderName, nameof(names)), match, Keys(keys));

    /// <summary>The addresses in a header (<c>From</c>, <c>To</c>, <c>Cc</c> ...) compared with one or more keys.</summary>
    public static SieveTest Address(string header, SieveMatch match, params string[] keys) => Address([header], match, keys);

    /// <summary>The addresses in any of several headers, one part of each, compared with any of several keys.</summary>
    public static SieveTest Address(IEnumerable<string> headers, SieveMatch match, IEnumerable<string> keys, SieveAddressPart part = SieveAddressPart.All) =>
        new Compare("address", part, Checked(headers, SieveWriter.HeaderName, nameof(headers)), match, Keys(keys));

    /// <summary>The SMTP envelope's sender (<paramref name="recipient"/> false) or recipient compared with keys (extension <c>envelope</c>).</summary>
    public static SieveTest Envelope(bool recipient, SieveMatch match, IEnumerable<string> keys, SieveAddressPart part = SieveAddressPart.All) =>
        new Compare("envelope", part, [SieveWriter.String(recipient ? "to" : "from", "The envelope part")], match, Keys(keys));

    /// <summary>The message has every one of these headers.</summary>
    public static SieveTest Exists(params string[] headers) => new Literal("exists " + Join(Checked(headers, SieveWriter.HeaderName, nameof(headers))));

    /// <summary>The message is larger than <paramref name="bytes"/>.</summary>
    public static SieveTest SizeOver(long bytes) => new Literal("size :over " + Size(bytes));

    /// <summary>The message is smaller than <paramref name="bytes"/>.</summary>
    public static SieveTest SizeUnder(long bytes) => new Literal("size :under " + Size(bytes));

    /// <summary>The opposite of <paramref name="test"/>.</summary>
    public static SieveTest Not(SieveTest test)
    {
        ArgumentNullException.ThrowIfNull(test);
        return new Combined("not", [test]);
    }

    /// <summary>True when every test is.</summary>
    public static SieveTest AllOf(params SieveTest[] tests) => new Combined("allof", Tests(tests));

    /// <summary>True when any test is.</summary>
    public static SieveTest AnyOf(params SieveTest[] tests) => new Combined("anyof", Tests(tests));

    internal abstract string Write(SieveWriter writer);

    private static string Size(long bytes) =>
        bytes is >= 0 and <= 1L << 40 ? bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "A size must be 0 bytes to 1 TB.");

    private static string[] Checked(IEnumerable<string> values, Func<string, string> check, string field)
    {
        ArgumentNullException.ThrowIfNull(values, field);
        var list = values.Select(check).ToArray();
        return list.Length > 0 ? list : throw new ArgumentException("At least one header name is needed.", field);
    }

    private static string[] Keys(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys.ToArray();
        if (list.Length == 0)
            throw new ArgumentException("At least one key to compare with is needed.", nameof(keys));
        return list.Select(k => SieveWriter.String(k, "A key to compare with")).ToArray();
    }

    private static SieveTest[] Tests(SieveTest[] tests)
    {
        ArgumentNullException.ThrowIfNull(tests);
        if (tests.Length == 0 || tests.Any(t => t is null))
            throw new ArgumentException("At least one test is needed, and none may be null.", nameof(tests));
        return tests;
    }

    private static string Join(string[] quoted) => quoted.Length == 1 ? quoted[0] : "[" + string.Join(", ", quoted) + "]";

    private sealed class Literal(string sieve) : SieveTest
    {
        internal override string Write(SieveWriter writer) => sieve;
    }

    private sealed class Compare(string command, SieveAddressPart? part, string[] fields, SieveMatch match, string[] keys) : SieveTest
    {
        private readonly SieveMatch match = Enum.IsDefined(match) ? match : throw new ArgumentOutOfRangeException(nameof(match), match, "Unknown match type.");
        private readonly SieveAddressPart? part = part is null || Enum.IsDefined(part.Value) ? part : throw new ArgumentOutOfRangeException(nameof(part), part, "Unknown address part.");

        internal override string Write(SieveWriter writer)
        {
            if (command == "envelope")
                writer.Require("envelope");
            var partTag = part switch
            {
                SieveAddressPart.LocalPart => " :localpart",
                SieveAddressPart.Domain => " :domain",
                SieveAddressPart.All => " :all",
                _ => "",
            };
            var matchTag = match switch
            {
                SieveMatch.Is => ":is",
                SieveMatch.Contains => ":contains",
                SieveMatch.Matches => ":matches",
                _ => throw new InvalidOperationException($"Unknown match type {match}."),
            };
            return $"{command}{partTag} {matchTag} {Join(fields)} {Join(keys)}";
        }
    }

    private sealed class Combined(string command, SieveTest[] tests) : SieveTest
    {
        internal override string Write(SieveWriter writer) =>
            command == "not" ? "not " + tests[0].Write(writer) : $"{command}({string.Join(", ", tests.Select(t => t.Write(writer)))})";
    }
}
