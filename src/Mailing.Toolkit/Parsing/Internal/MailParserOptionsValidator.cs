using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Parsing.Internal;

/// <summary>Checks the parsing limits at start, naming the key to fix.</summary>
internal sealed class MailParserOptionsValidator(string path) : IValidateOptions<MailParserOptions>
{
    public ValidateOptionsResult Validate(string? name, MailParserOptions options)
    {
        var errors = new List<string>();
        Positive(options.MaxMessageSize, nameof(options.MaxMessageSize));
        Positive(options.MaxHeaderFieldLength, nameof(options.MaxHeaderFieldLength));
        Positive(options.MaxHeaderCount, nameof(options.MaxHeaderCount));
        Positive(options.MaxMimeDepth, nameof(options.MaxMimeDepth));
        Positive(options.MaxParts, nameof(options.MaxParts));
        Positive(options.MaxAttachmentSize, nameof(options.MaxAttachmentSize));
        Positive(options.MaxBodyLength, nameof(options.MaxBodyLength));
        if (options.MaxMessageSize > int.MaxValue)
            errors.Add($"{path}:MaxMessageSize must be at most {int.MaxValue} (a message is parsed in memory; was {options.MaxMessageSize}).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Positive(long value, string key)
        {
            if (value <= 0)
                errors.Add($"{path}:{key} must be greater than 0 (was {value}).");
        }
    }
}
