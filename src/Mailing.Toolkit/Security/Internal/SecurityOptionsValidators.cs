using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>Checks <see cref="DnsResolverOptions"/> at start, naming the key to fix.</summary>
internal sealed class DnsResolverOptionsValidator(string path) : IValidateOptions<DnsResolverOptions>
{
    public ValidateOptionsResult Validate(string? name, DnsResolverOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Servers.Count; i++)
        {
            try
            {
                DnsClientResolver.ParseServer(options.Servers[i]);
            }
            catch (FormatException e)
            {
                errors.Add($"{path}:Servers:{i}: {e.Message}");
            }
        }

        if (options.Timeout < TimeSpan.FromMilliseconds(50) || options.Timeout > TimeSpan.FromMinutes(1))
            errors.Add($"{path}:Timeout must be between 00:00:00.050 and 00:01:00 (was {options.Timeout:c}).");
        if (options.Retries is < 0 or > 5)
            errors.Add($"{path}:Retries must be 0-5 (was {options.Retries}).");
        if (options.CacheSize is < 0 or > 1_000_000)
            errors.Add($"{path}:CacheSize must be 0-1000000 (was {options.CacheSize}).");
        if (options.MaximumTimeToLive < TimeSpan.Zero || options.MaximumTimeToLive > TimeSpan.FromDays(7))
            errors.Add($"{path}:MaximumTimeToLive must be between 00:00:00 and 7.00:00:00 (was {options.MaximumTimeToLive:c}).");
        if (options.MaximumNegativeTimeToLive < TimeSpan.Zero || options.MaximumNegativeTimeToLive > TimeSpan.FromDays(1))
            errors.Add($"{path}:MaximumNegativeTimeToLive must be between 00:00:00 and 1.00:00:00 (was {options.MaximumNegativeTimeToLive:c}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks <see cref="MailAuthenticationOptions"/> at start, naming the key to fix.</summary>
internal sealed class MailAuthenticationOptionsValidator(string path) : IValidateOptions<MailAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, MailAuthenticationOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.AuthServId) || options.AuthServId.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is ';' or '(' or ')' or '"'))
            errors.Add($"{path}:AuthServId must be a host name without spaces or ';' (was '{options.AuthServId}').");
        if (options.MaximumDkimSignatures is < 1 or > 100)
            errors.Add($"{path}:MaximumDkimSignatures must be 1-100 (was {options.MaximumDkimSignatures}).");
        for (var i = 0; i < options.TrustedReceivers.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.TrustedReceivers[i]))
                errors.Add($"{path}:TrustedReceivers:{i} is empty.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
