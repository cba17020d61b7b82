using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>Checks <see cref="InboundProcessingOptions"/> at start, naming the key to fix.</summary>
internal sealed class InboundProcessingOptionsValidator(string path) : IValidateOptions<InboundProcessingOptions>
{
    public ValidateOptionsResult Validate(string? name, InboundProcessingOptions options)
    {
        var errors = new List<string>();
        if (options.MaxParallelism is < 1 or > 256)
            errors.Add($"{path}:MaxParallelism must be 1-256 (was {options.MaxParallelism}).");
        if (options.MaxAttempts is < 1 or > 100)
            errors.Add($"{path}:MaxAttempts must be 1-100 (was {options.MaxAttempts}).");
        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromDays(1))
            errors.Add($"{path}:PollInterval must be a duration between 00:00:00.001 and 1.00:00:00, written hh:mm:ss (was {options.PollInterval:c}).");
        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > TimeSpan.FromHours(1))
            errors.Add($"{path}:RetryBaseDelay must be between 00:00:00 and 01:00:00 (was {options.RetryBaseDelay:c}).");
        if (options.RetryMaxDelay < options.RetryBaseDelay || options.RetryMaxDelay > TimeSpan.FromHours(1))
            errors.Add($"{path}:RetryMaxDelay must be at least RetryBaseDelay and at most 01:00:00 (was {options.RetryMaxDelay:c}).");
        if (options.RegexTimeout <= TimeSpan.Zero || options.RegexTimeout > TimeSpan.FromSeconds(10))
            errors.Add($"{path}:RegexTimeout must be between 00:00:00.001 and 00:00:10 (was {options.RegexTimeout:c}).");
        if (options.UnhealthyAfter is { } stale && stale <= options.PollInterval)
            errors.Add($"{path}:UnhealthyAfter must be longer than PollInterval (was {stale:c}).");
        if (options.DeduplicationLease < TimeSpan.FromSeconds(1) || options.DeduplicationLease > TimeSpan.FromDays(1))
            errors.Add($"{path}:DeduplicationLease must be between 00:00:01 and 1.00:00:00 (was {options.DeduplicationLease:c}).");
        if (options.DeduplicationRetention < TimeSpan.FromHours(1))
            errors.Add($"{path}:DeduplicationRetention must be at least 01:00:00 (was {options.DeduplicationRetention:c}).");
        CheckFolder(errors, "QuarantineFolder", options.QuarantineFolder, required: true);
        CheckFolder(errors, "UnroutedFolder", options.UnroutedFolder, required: false);
        CheckFolder(errors, "DefaultDisposition", options.DefaultDisposition, required: true);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void CheckFolder(List<string> errors, string key, string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
                errors.Add($"{path}:{key} is required.");
        }
        else if (HeaderSafety.ContainsLineBreakOrNul(value))
        {
            errors.Add($"{path}:{key} must not contain line breaks or NUL.");
        }
    }
}
