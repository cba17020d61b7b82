using System.Text.RegularExpressions;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>The checks every account operation makes before it touches the database or the server.</summary>
internal static partial class AccountRules
{
    /// <summary>A plain address: dot-atom local part without quotes or path characters, a domain of letters, digits and hyphens.</summary>
    public static string Address(string address, string paramName = "address")
    {
        ArgumentNullException.ThrowIfNull(address, paramName);
        if (address.Length > 254 || !AddressPattern().IsMatch(address))
        {
            throw new ArgumentException(
                $"'{Printable(address)}' is not an address an account can have: use local@domain with letters, digits and . _ + - in the local part (no quotes, spaces, slashes, % or control characters), at most 254 characters.",
                paramName);
        }

        return address.ToLowerInvariant();
    }

    public static void Password(string password, string address, MailPasswordPolicy policy, string paramName = "password")
    {
        ArgumentNullException.ThrowIfNull(password, paramName);
        if (password.Length < policy.MinLength)
            throw new ArgumentException($"The password is too short: it needs at least {policy.MinLength} characters (Mailing:Accounts:PasswordPolicy:MinLength).", paramName);
        if (password.Length > policy.MaxLength)
            throw new ArgumentException($"The password is longer than {policy.MaxLength} characters (Mailing:Accounts:PasswordPolicy:MaxLength).", paramName);
        if (password.Any(char.IsControl))
            throw new ArgumentException("The password contains a control character (CR, LF, NUL, tab ...).", paramName);
        var classes = (password.Any(char.IsLower) ? 1 : 0) + (password.Any(char.IsUpper) ? 1 : 0) + (password.Any(char.IsDigit) ? 1 : 0) + (password.Any(c => !char.IsLetterOrDigit(c)) ? 1 : 0);
        if (classes < policy.MinCharacterClasses)
            throw new ArgumentException($"The password is too weak: it mixes {classes} of lower case, upper case, digits and other characters, and needs {policy.MinCharacterClasses} (Mailing:Accounts:PasswordPolicy:MinCharacterClasses).", paramName);
        var local = address[..address.IndexOf('@', StringComparison.Ordinal)];
        if (policy.RejectLocalPart && local.Length >= 3 && password.Contains(local, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("The password contains the account's own name (Mailing:Accounts:PasswordPolicy:RejectLocalPart).", paramName);
    }

    public static long? Quota(long? bytes, long max, string paramName = "quotaBytes")
    {
        if (bytes is { } value && (value < 1024 * 1024 || value > max))
            throw new ArgumentOutOfRangeException(paramName, value, $"A quota must be 1 MiB to {max} bytes (Mailing:Accounts:MaxQuotaBytes), or null for unlimited.");
        return bytes;
    }

    private static string Printable(string value) => new(value.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [GeneratedRegex(@"^[a-zA-Z0-9_+\-]+(\.[a-zA-Z0-9_+\-]+)*@([a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AddressPattern();
}
