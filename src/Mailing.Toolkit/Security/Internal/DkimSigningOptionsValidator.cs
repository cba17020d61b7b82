using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Checks <see cref="DkimSigningOptions"/> at start and loads the keys, so a missing file, a bad PEM or a short RSA key
/// fails the host with a message naming the key entry (<c>Mailing:Dkim:Keys:0:Selector is required</c>), never the
/// first send. The keys it loaded are handed to the filter through <see cref="DkimKeyRingHolder"/>: loaded once.
/// </summary>
internal sealed class DkimSigningOptionsValidator(string path, DkimKeyRingHolder holder, TimeProvider timeProvider) : IValidateOptions<DkimSigningOptions>
{
    public ValidateOptionsResult Validate(string? name, DkimSigningOptions options)
    {
        if (name is not null && name != Options.DefaultName)
            return ValidateOptionsResult.Skip;
        if (holder.Ring is not null)
            return ValidateOptionsResult.Success;

        var (ring, errors) = DkimKeyLoader.Load(options, path, timeProvider);
        if (ring is null)
            return ValidateOptionsResult.Fail(errors);
        holder.Set(ring);
        return ValidateOptionsResult.Success;
    }
}
