using MailKit.Security;
using Mailing.Toolkit.Sending.Internal;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Checks <see cref="ImapOptions"/> at start, with messages that name the configuration key to fix
/// (<c>Mailing:Imap:Host is required.</c>), instead of failing at the first command.
/// </summary>
internal sealed class ImapOptionsValidator(string path) : IValidateOptions<ImapOptions>
{
    public ValidateOptionsResult Validate(string? name, ImapOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host))
            errors.Add($"{path}:Host is required.");
        else if (HeaderSafety.ContainsLineBreakOrNul(options.Host) || Uri.CheckHostName(options.Host) == UriHostNameType.Unknown)
            errors.Add($"{path}:Host '{options.Host.ReplaceLineEndings(" ")}' is not a valid host name or IP address.");
        if (options.Port is < 0 or > 65535)
            errors.Add($"{path}:Port must be 0-65535 (was {options.Port}); 0 picks 993 or 143 from Security.");
        if (!Enum.IsDefined(options.Security))
            errors.Add($"{path}:Security must be one of {string.Join(", ", Enum.GetNames<SecureSocketOptions>())}.");

        if (string.IsNullOrWhiteSpace(options.UserName))
            errors.Add($"{path}:UserName is required: IMAP needs a login.");
        else if (HeaderSafety.ContainsLineBreakOrNul(options.UserName))
            errors.Add($"{path}:UserName must not contain CR, LF or NUL.");
        else if (options.Security == SecureSocketOptions.None)
            errors.Add($"{path}:Security is None but credentials are never sent over an unencrypted connection. Use Auto, StartTls or SslOnConnect.");
        if (options.AccessTokenProvider is null && string.IsNullOrEmpty(options.Password))
            errors.Add($"{path}:Password is required (or set AccessTokenProvider in code for OAuth2).");

        SmtpSenderOptionsValidator.CheckDuration(errors, $"{path}:Timeout", options.Timeout, TimeSpan.FromMinutes(30));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
