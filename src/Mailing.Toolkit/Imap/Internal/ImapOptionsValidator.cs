using Mailing.Toolkit.Net.Internal;
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
        MailServerChecks.Check(errors, path, options, loginRequired: true);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
