namespace Mailing.Toolkit.Sieve;

/// <remarks>Compiled into Mailing.Toolkit.Abstractions and, as a linked file, into Mailing.Toolkit (like HeaderSafety).</remarks>
/// <summary>Checks script and rule names (RFC 5804 1.6: no control characters, no line or paragraph separators).</summary>
internal static class SieveNames
{
    public const int MaxRuleName = 100;

    public static string CheckScriptName(string name, string paramName = "name") => Check(name, 512, "A script name", paramName);

    public static string CheckRuleName(string name) => Check(name, MaxRuleName, "A rule name", nameof(name));

    private static string Check(string name, int max, string what, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (name.Length == 0 || name.Length > max)
            throw new ArgumentException($"{what} must be 1 to {max} characters long.", paramName);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsControl(c) || c is '\u2028' or '\u2029' || char.IsSurrogate(c))
                throw new ArgumentException($"{what} may not contain control characters (CR, LF, NUL, tab ...), line separators or broken UTF-16 (RFC 5804 1.6).", paramName);
        }

        return name;
    }
}
