using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>Checks <see cref="Pop3ReceiverOptions"/> at start, naming the key to fix.</summary>
internal sealed class Pop3ReceiverOptionsValidator(string path) : IValidateOptions<Pop3ReceiverOptions>
{
    public ValidateOptionsResult Validate(string? name, Pop3ReceiverOptions options)
    {
        var errors = new List<string>();
        MailServerChecks.Check(errors, path, options, loginRequired: true);
        if (options.StateFilePath is { Length: > 0 } file && file.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            errors.Add($"{path}:StateFilePath contains characters that are not valid in a path.");
        MailServerChecks.CheckReconnect(errors, path, options.MaxConnectAttempts, options.ReconnectBaseDelay, options.ReconnectMaxDelay);

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
