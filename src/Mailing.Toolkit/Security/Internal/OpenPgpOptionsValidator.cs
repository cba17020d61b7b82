using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Checks <see cref="OpenPgpOptions"/> at start and loads the keys, so a missing file, a public key where a secret one
/// belongs or a passphrase that does not unlock its key fails the host with a message naming the entry
/// (<c>Mailing:OpenPgp:SecretKeys:0:Passphrase does not unlock secret key 0x...</c>), never the first send. The keys it
/// loaded reach the filter and the unprotector through <see cref="OpenPgpKeyringHolder"/>: loaded once.
/// </summary>
internal sealed class OpenPgpOptionsValidator(string path, OpenPgpKeyringHolder holder, ILogger logger) : IValidateOptions<OpenPgpOptions>
{
    public ValidateOptionsResult Validate(string? name, OpenPgpOptions options)
    {
        if (name is not null && name != Options.DefaultName)
            return ValidateOptionsResult.Skip;
        if (holder.Keyring is not null)
            return ValidateOptionsResult.Success;

        var (keyring, errors) = OpenPgpKeyLoader.Load(options, path);
        if (keyring is null)
            return ValidateOptionsResult.Fail(errors);
        holder.Set(keyring);
        OpenPgpLog.Loaded(logger, keyring.PublicKeys.Count, keyring.SecretKeys.Count);
        return ValidateOptionsResult.Success;
    }
}
