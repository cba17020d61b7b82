namespace Mailing.Toolkit;

/// <summary>
/// The single check that keeps user data from reaching a header or a protocol command:
/// CR, LF and NUL are the characters that end a header line or an SMTP/IMAP command.
/// </summary>
/// <remarks>
/// Compiled into Mailing.Toolkit.Abstractions and, as a linked file, into Mailing.Toolkit: each assembly has
/// its own internal copy, so neither needs the other's internals. Keep it free of dependencies on either.
/// </remarks>
internal static class HeaderSafety
{
    private static readonly System.Buffers.SearchValues<char> LineBreaking = System.Buffers.SearchValues.Create("\r\n\0");

    public static bool ContainsLineBreakOrNul(ReadOnlySpan<char> value) => value.ContainsAny(LineBreaking);

    /// <summary>Throws an <see cref="ArgumentException"/> that names <paramref name="field"/> when the value is unsafe.</summary>
    public static string EnsureSingleLine(string value, string field, string? paramName = null)
    {
        if (ContainsLineBreakOrNul(value))
        {
            throw new ArgumentException(
                $"{field} contains a CR, LF or NUL character, which could inject a header or a protocol command; remove line breaks from it.",
                paramName ?? field);
        }

        return value;
    }
}
