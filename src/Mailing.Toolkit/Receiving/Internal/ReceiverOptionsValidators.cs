using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>Checks <see cref="Pop3ReceiverOptions"/> at start, naming the key to fix.</summary>
internal sealed class Pop3ReceiverOptionsValidator(string path) : IValidateOptions<Pop3ReceiverOptions>
{
    public ValidateOptionsResult Validate(string? name, Pop3ReceiverOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host))
            errors.Add($"{path}:Host is required.");
        else if (HeaderSafety.ContainsLineBreakOrNul(options.Host) || Uri.CheckHostName(options.Host) == UriHostNameType.Unknown)
            errors.Add($"{path}:Host '{options.Host.ReplaceLineEndings(" ")}' is not a valid host name or IP address.");
        if (options.Port is < 0 or > 65535)
            errors.Add($"{path}:Port must be 0-65535 (was {options.Port}); 0 picks 995 or 110 from Security.");
        if (!Enum.IsDefined(options.Security))
            errors.Add($"{path}:Security must be one of {string.Join(", ", Enum.GetNames<SecureSocketOptions>())}.");
        else if (options.Security == SecureSocketOptions.None)
            errors.Add($"{path}:Security is None: POP3 always sends credentials, and they are never sent over an unencrypted connection. Use Auto, StartTls or SslOnConnect.");
        if (string.IsNullOrWhiteSpace(options.UserName))
            errors.Add($"{path}:UserName is required.");
        else if (HeaderSafety.ContainsLineBreakOrNul(options.UserName))
            errors.Add($"{path}:UserName must not contain line breaks or NUL.");
        if (string.IsNullOrEmpty(options.Password))
        {
            if (options.AccessTokenProvider is null)
                errors.Add($"{path}:Password is required (or set AccessTokenProvider in code for OAuth2).");
        }
        else if (HeaderSafety.ContainsLineBreakOrNul(options.Password))
            errors.Add($"{path}:Password must not contain line breaks or NUL.");
        if (options.StateFilePath is { Length: > 0 } file && file.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            errors.Add($"{path}:StateFilePath contains characters that are not valid in a path.");
        if (options.MaxConnectAttempts is < 1 or > 100)
            errors.Add($"{path}:MaxConnectAttempts must be 1-100 (was {options.MaxConnectAttempts}).");
        // "30" binds as 30 days: an upper bound catches a number written without hh:mm:ss.
        if (options.Timeout <= TimeSpan.Zero || options.Timeout > TimeSpan.FromMinutes(30))
            errors.Add($"{path}:Timeout must be a duration between 00:00:00.001 and 00:30:00, written hh:mm:ss (was {options.Timeout:c}).");
        if (options.ReconnectBaseDelay < TimeSpan.Zero || options.ReconnectBaseDelay > TimeSpan.FromHours(1))
            errors.Add($"{path}:ReconnectBaseDelay must be between 00:00:00 and 01:00:00 (was {options.ReconnectBaseDelay:c}).");
        if (options.ReconnectMaxDelay < options.ReconnectBaseDelay || options.ReconnectMaxDelay > TimeSpan.FromHours(1))
            errors.Add($"{path}:ReconnectMaxDelay must be at least ReconnectBaseDelay and at most 01:00:00 (was {options.ReconnectMaxDelay:c}).");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks <see cref="MaildirReceiverOptions"/> at start.</summary>
internal sealed class MaildirReceiverOptionsValidator(string path) : IValidateOptions<MaildirReceiverOptions>
{
    public ValidateOptionsResult Validate(string? name, MaildirReceiverOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
            return ValidateOptionsResult.Fail($"{path}:Path is required: the Maildir folder (with new/ and cur/) the receiver reads.");
        return options.Path.IndexOfAny(Path.GetInvalidPathChars()) >= 0
            ? ValidateOptionsResult.Fail($"{path}:Path '{options.Path}' contains characters that are not valid in a path.")
            : ValidateOptionsResult.Success;
    }
}
