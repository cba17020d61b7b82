using Mailing.Toolkit.Imap.Internal;
using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>Checks <see cref="ImapReceiverOptions"/> at start, naming the key to fix.</summary>
internal sealed class ImapReceiverOptionsValidator(string path) : IValidateOptions<ImapReceiverOptions>
{
    public ValidateOptionsResult Validate(string? name, ImapReceiverOptions options)
    {
        var errors = new List<string>();
        CheckFolder(errors, "Folder", options.Folder, required: true);
        CheckFolder(errors, "ClaimFolder", options.ClaimFolder, required: false);
        if (!string.IsNullOrWhiteSpace(options.ClaimFolder) && string.Equals(options.ClaimFolder, options.Folder, StringComparison.OrdinalIgnoreCase))
            errors.Add($"{path}:ClaimFolder must differ from Folder ('{options.Folder}'): messages are claimed by moving them out of Folder.");
        if (options.ClaimLease < TimeSpan.FromSeconds(1) || options.ClaimLease > TimeSpan.FromHours(24))
            errors.Add($"{path}:ClaimLease must be between 00:00:01 and 1.00:00:00, written hh:mm:ss (was {options.ClaimLease:c}).");
        if (options.BatchSize is < 1 or > 1000)
            errors.Add($"{path}:BatchSize must be 1-1000 (was {options.BatchSize}).");
        if (options.MaxPrefetchSize < 0)
            errors.Add($"{path}:MaxPrefetchSize must be 0 or more bytes (was {options.MaxPrefetchSize}).");
        if (options.MaxPrefetchBatchBytes < 0)
            errors.Add($"{path}:MaxPrefetchBatchBytes must be 0 or more bytes (was {options.MaxPrefetchBatchBytes}).");
        // "30" binds as 30 days: upper bounds catch a number written without hh:mm:ss.
        if (options.IdleRestartInterval < TimeSpan.FromSeconds(1) || options.IdleRestartInterval > TimeSpan.FromMinutes(29))
            errors.Add($"{path}:IdleRestartInterval must be between 00:00:01 and 00:29:00, below the server's 29-minute IDLE limit (was {options.IdleRestartInterval:c}).");
        MailServerChecks.CheckDuration(errors, $"{path}:PollInterval", options.PollInterval, TimeSpan.FromHours(24));
        if (options.StateFilePath is { Length: > 0 } file && file.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            errors.Add($"{path}:StateFilePath contains characters that are not valid in a path.");
        if (options.StateKey is { } key && HeaderSafety.ContainsLineBreakOrNul(key))
            errors.Add($"{path}:StateKey must not contain CR, LF or NUL.");
        MailServerChecks.CheckReconnect(errors, path, options.MaxConnectAttempts, options.ReconnectBaseDelay, options.ReconnectMaxDelay);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void CheckFolder(List<string> errors, string key, string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
                errors.Add($"{path}:{key} is required.");
            return;
        }

        try
        {
            FolderNames.Check(value, key);
        }
        catch (ArgumentException)
        {
            errors.Add($"{path}:{key} '{value.ReplaceLineEndings(" ").Replace('\0', ' ')}' is not a valid folder name: levels separated by '/', none empty, no CR, LF, NUL, '*' or '%'.");
        }
    }
}
