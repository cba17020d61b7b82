using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Sending.Internal;

/// <summary>
/// Checks sender options at start, with messages that name the configuration key to fix
/// (<c>Mailing:Smtp:Port must be 0-65535</c>), instead of failing at the first send.
/// </summary>
internal sealed class SmtpSenderOptionsValidator(string name, string path) : IValidateOptions<SmtpSenderOptions>
{
    public string Name => name;

    public ValidateOptionsResult Validate(string? optionsName, SmtpSenderOptions options)
    {
        if (!string.Equals(optionsName ?? Options.DefaultName, name, StringComparison.Ordinal))
            return ValidateOptionsResult.Skip;

        var errors = new List<string>();
        CheckEndpoint(errors, path, options.Host, options.Port, options.Security);
        for (var i = 0; i < options.FailoverServers.Count; i++)
        {
            var server = options.FailoverServers[i];
            CheckEndpoint(errors, $"{path}:FailoverServers:{i}", server.Host, server.Port, server.Security);
        }

        if (!string.IsNullOrEmpty(options.UserName))
        {
            if (options.Security == SecureSocketOptions.None)
                errors.Add($"{path}:Security is None but {path}:UserName is set: credentials are never sent over an unencrypted connection. Use Auto, StartTls or SslOnConnect.");
            for (var i = 0; i < options.FailoverServers.Count; i++)
            {
                if (options.FailoverServers[i].Security == SecureSocketOptions.None)
                    errors.Add($"{path}:FailoverServers:{i}:Security is None but {path}:UserName is set: credentials are never sent over an unencrypted connection.");
            }
        }
        if (string.IsNullOrEmpty(options.UserName) && (!string.IsNullOrEmpty(options.Password) || options.AccessTokenProvider is not null))
            errors.Add($"{path}:UserName is required when a password or an access token provider is set.");
        if (!string.IsNullOrEmpty(options.LocalDomain) && (HeaderSafety.ContainsLineBreakOrNul(options.LocalDomain) || options.LocalDomain.Contains(' ', StringComparison.Ordinal)))
            errors.Add($"{path}:LocalDomain must be a host name without spaces or line breaks.");
        if (options.MaxConnections is < 1 or > 1024)
            errors.Add($"{path}:MaxConnections must be 1-1024 (was {options.MaxConnections}).");
        if (options.MaxMessagesPerConnection < 1)
            errors.Add($"{path}:MaxMessagesPerConnection must be at least 1 (was {options.MaxMessagesPerConnection}).");
        if (options.MaxAttempts is < 1 or > 20)
            errors.Add($"{path}:MaxAttempts must be 1-20 (was {options.MaxAttempts}).");
        CheckDuration(errors, $"{path}:Timeout", options.Timeout, TimeSpan.FromMinutes(30));
        CheckDuration(errors, $"{path}:IdleTimeout", options.IdleTimeout, TimeSpan.FromHours(1));
        if (options.RetryBaseDelay < TimeSpan.Zero)
            errors.Add($"{path}:RetryBaseDelay must not be negative.");
        if (options.RetryMaxDelay < options.RetryBaseDelay)
            errors.Add($"{path}:RetryMaxDelay must be at least RetryBaseDelay.");
        if (options.FailoverCooldown < TimeSpan.Zero)
            errors.Add($"{path}:FailoverCooldown must not be negative.");
        if (options.MaxMessagesPerSecond < 0 || double.IsNaN(options.MaxMessagesPerSecond) || double.IsInfinity(options.MaxMessagesPerSecond))
            errors.Add($"{path}:MaxMessagesPerSecond must be 0 (no limit) or a positive number.");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckEndpoint(List<string> errors, string at, string host, int port, SecureSocketOptions security)
    {
        if (string.IsNullOrWhiteSpace(host))
            errors.Add($"{at}:Host is required.");
        else if (HeaderSafety.ContainsLineBreakOrNul(host) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            errors.Add($"{at}:Host '{host.ReplaceLineEndings(" ")}' is not a valid host name or IP address.");
        if (port is < 0 or > 65535)
            errors.Add($"{at}:Port must be 0-65535 (was {port}); 0 picks 465 or 587 from Security.");
        if (!Enum.IsDefined(security))
            errors.Add($"{at}:Security must be one of {string.Join(", ", Enum.GetNames<SecureSocketOptions>())}.");
    }

    internal static void CheckDuration(List<string> errors, string key, TimeSpan value, TimeSpan max)
    {
        // "30" binds as 30 days: an upper bound catches a number written without hh:mm:ss.
        if (value <= TimeSpan.Zero || value > max)
            errors.Add($"{key} must be a duration between 00:00:00.001 and {max:c}, written hh:mm:ss (was {value:c}).");
    }
}

/// <summary>Validates <see cref="MaildirSenderOptions"/> at start.</summary>
internal sealed class MaildirSenderOptionsValidator(string path) : IValidateOptions<MaildirSenderOptions>
{
    public ValidateOptionsResult Validate(string? name, MaildirSenderOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
            return ValidateOptionsResult.Fail($"{path}:Path is required: the folder the Maildir sender writes into.");
        return options.Path.IndexOfAny(Path.GetInvalidPathChars()) >= 0
            ? ValidateOptionsResult.Fail($"{path}:Path '{options.Path}' contains characters that are not valid in a path.")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>Validates <see cref="MailingOptions"/> at start.</summary>
internal sealed class MailingOptionsValidator : IValidateOptions<MailingOptions>
{
    public ValidateOptionsResult Validate(string? name, MailingOptions options) =>
        string.IsNullOrWhiteSpace(options.DefaultFrom) || EmailAddress.TryParse(options.DefaultFrom, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Mailing:DefaultFrom '{options.DefaultFrom.ReplaceLineEndings(" ")}' must be one email address such as 'Shop <noreply@shop.example>'.");
}

/// <summary>Validates <see cref="RedirectFilterOptions"/> at start.</summary>
internal sealed class RedirectFilterOptionsValidator(string path) : IValidateOptions<RedirectFilterOptions>
{
    public ValidateOptionsResult Validate(string? name, RedirectFilterOptions options) =>
        !options.Enabled || EmailAddress.TryParse(options.To, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{path}:To '{options.To.ReplaceLineEndings(" ")}' must be the email address every message is redirected to.");
}
