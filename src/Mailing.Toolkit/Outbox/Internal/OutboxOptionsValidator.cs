using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>Checks <see cref="OutboxOptions"/> at start, naming the key to fix.</summary>
internal sealed class OutboxOptionsValidator(string path) : IValidateOptions<OutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxOptions options)
    {
        var errors = new List<string>();
        if (options.Workers is < 1 or > 256)
            errors.Add($"{path}:Workers must be 1-256 (was {options.Workers}).");
        if (options.MaxAttempts is < 1 or > 1000)
            errors.Add($"{path}:MaxAttempts must be 1-1000 (was {options.MaxAttempts}).");
        if (options.MaxMessageBytes < 1024)
            errors.Add($"{path}:MaxMessageBytes must be at least 1024 (was {options.MaxMessageBytes}).");
        if (options.LeaseDuration < TimeSpan.FromSeconds(1) || options.LeaseDuration > TimeSpan.FromDays(1))
            errors.Add($"{path}:LeaseDuration must be between 00:00:01 and 1.00:00:00 (was {options.LeaseDuration:c}).");
        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromHours(1))
            errors.Add($"{path}:PollInterval must be between 00:00:00.001 and 01:00:00 (was {options.PollInterval:c}).");
        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > TimeSpan.FromDays(1))
            errors.Add($"{path}:RetryBaseDelay must be between 00:00:00 and 1.00:00:00 (was {options.RetryBaseDelay:c}).");
        if (options.RetryMaxDelay < options.RetryBaseDelay || options.RetryMaxDelay > TimeSpan.FromDays(7))
            errors.Add($"{path}:RetryMaxDelay must be at least RetryBaseDelay and at most 7.00:00:00 (was {options.RetryMaxDelay:c}).");
        if (options.Retention is { } retention && retention <= TimeSpan.Zero)
            errors.Add($"{path}:Retention must be positive, or empty to keep finished rows (was {retention:c}).");
        if (options.DegradedAfter <= TimeSpan.Zero)
            errors.Add($"{path}:DegradedAfter must be positive (was {options.DegradedAfter:c}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
