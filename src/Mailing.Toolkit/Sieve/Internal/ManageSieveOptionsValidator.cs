using Mailing.Toolkit.Net.Internal;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>Checks <see cref="ManageSieveOptions"/> at start, naming the configuration key to fix.</summary>
internal sealed class ManageSieveOptionsValidator(string path) : IValidateOptions<ManageSieveOptions>
{
    public const int MinScriptSize = 1024;
    public const int MaxScriptSize = 64 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, ManageSieveOptions options)
    {
        var errors = new List<string>();
        MailServerChecks.Check(errors, path, options, loginRequired: true);
        if (options.MaxScriptSize is < MinScriptSize or > MaxScriptSize)
            errors.Add($"{path}:MaxScriptSize must be {MinScriptSize}-{MaxScriptSize} bytes (was {options.MaxScriptSize}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
