using System.Globalization;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>Checks <see cref="RspamdOptions"/> at start, naming the key to fix.</summary>
internal sealed class RspamdOptionsValidator(string path) : IValidateOptions<RspamdOptions>
{
    public ValidateOptionsResult Validate(string? name, RspamdOptions options)
    {
        var errors = new List<string>();
        if (options.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            errors.Add($"{path}:Url must be an absolute http:// or https:// URL (was '{options.Url}').");
        else if (url.UserInfo.Length > 0)
            errors.Add($"{path}:Url must not hold a user name or password; set {path}:Password instead.");
        else if (url.Query.Length > 0 || url.Fragment.Length > 0)
            errors.Add($"{path}:Url must be the server's base URL without a query or fragment (/checkv2 is appended).");
        if (options.Password is { } password && HeaderSafety.ContainsLineBreakOrNul(password))
            errors.Add($"{path}:Password must not contain CR, LF or NUL.");
        SpamOptionsChecks.Common(errors, path, options.ConnectTimeout, options.Timeout, options.MaxMessageBytes, options.MaxResponseBytes, options.FailureMode);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks <see cref="SpamAssassinOptions"/> at start, naming the key to fix.</summary>
internal sealed class SpamAssassinOptionsValidator(string path) : IValidateOptions<SpamAssassinOptions>
{
    public ValidateOptionsResult Validate(string? name, SpamAssassinOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host) || Uri.CheckHostName(options.Host.Trim('[', ']')) == UriHostNameType.Unknown)
            errors.Add($"{path}:Host must be a host name or an IP address (was '{options.Host}').");
        if (options.Port is < 1 or > 65535)
            errors.Add($"{path}:Port must be 1-65535 (was {options.Port.ToString(CultureInfo.InvariantCulture)}).");
        if (options.User is { } user && (user.Length > 255 || user.Any(char.IsControl)))
            errors.Add($"{path}:User must be at most 255 characters without control characters (CR, LF, NUL ...).");
        if (!Enum.IsDefined(options.Command))
            errors.Add($"{path}:Command must be Check, Symbols or Report (was {options.Command}).");
        if (!double.IsFinite(options.RejectScore))
            errors.Add($"{path}:RejectScore must be a finite number (was {options.RejectScore.ToString(CultureInfo.InvariantCulture)}).");
        SpamOptionsChecks.Common(errors, path, options.ConnectTimeout, options.Timeout, options.MaxMessageBytes, options.MaxResponseBytes, options.FailureMode);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal static class SpamOptionsChecks
{
    public const int MaxMessageLimit = 256 * 1024 * 1024;
    public const int MaxResponseLimit = 64 * 1024 * 1024;

    public static void Common(List<string> errors, string path, TimeSpan connectTimeout, TimeSpan timeout, int maxMessageBytes, int maxResponseBytes, SpamFailureMode failureMode)
    {
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(10))
            errors.Add($"{path}:Timeout must be between 00:00:00.001 and 00:10:00 (was {timeout:c}).");
        if (connectTimeout <= TimeSpan.Zero || connectTimeout > TimeSpan.FromMinutes(10))
            errors.Add($"{path}:ConnectTimeout must be between 00:00:00.001 and 00:10:00 (was {connectTimeout:c}).");
        if (maxMessageBytes is < 1024 or > MaxMessageLimit)
            errors.Add($"{path}:MaxMessageBytes must be 1024-{MaxMessageLimit.ToString(CultureInfo.InvariantCulture)} (was {maxMessageBytes.ToString(CultureInfo.InvariantCulture)}).");
        if (maxResponseBytes is < 1024 or > MaxResponseLimit)
            errors.Add($"{path}:MaxResponseBytes must be 1024-{MaxResponseLimit.ToString(CultureInfo.InvariantCulture)} (was {maxResponseBytes.ToString(CultureInfo.InvariantCulture)}).");
        if (!Enum.IsDefined(failureMode))
            errors.Add($"{path}:FailureMode must be FailOpen or FailClosed (was {failureMode}).");
    }
}
