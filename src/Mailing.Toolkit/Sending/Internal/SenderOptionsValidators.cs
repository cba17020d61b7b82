using MailKit.Security;
using Mailing.Toolkit.Net.Internal;
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
        MailServerChecks.Check(errors, path, options, loginRequired: false);
        for (var i = 0; i < options.FailoverServers.Count; i++)
        {
            var server = options.FailoverServers[i];
            MailServerChecks.CheckServer(errors, $"{path}:FailoverServers:{i}", server.Host, server.Port, server.Security, options);
            if (!string.IsNullOrEmpty(options.UserName) && server.Security == SecureSocketOptions.None)
                errors.Add($"{path}:FailoverServers:{i}:Security is None but {path}:UserName is set: credentials are never sent over an unencrypted connection.");
        }

        if (!string.IsNullOrEmpty(options.LocalDomain) && (HeaderSafety.ContainsLineBreakOrNul(options.LocalDomain) || options.LocalDomain.Contains(' ', StringComparison.Ordinal)))
            errors.Add($"{path}:LocalDomain must be a host name without spaces or line breaks.");
        if (options.MaxConnections is < 1 or > 1024)
            errors.Add($"{path}:MaxConnections must be 1-1024 (was {options.MaxConnections}).");
        if (options.MaxMessagesPerConnection < 1)
            errors.Add($"{path}:MaxMessagesPerConnection must be at least 1 (was {options.MaxMessagesPerConnection}).");
        if (options.MaxAttempts is < 1 or > 20)
            errors.Add($"{path}:MaxAttempts must be 1-20 (was {options.MaxAttempts}).");
        MailServerChecks.CheckDuration(errors, $"{path}:IdleTimeout", options.IdleTimeout, TimeSpan.FromHours(1));
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
