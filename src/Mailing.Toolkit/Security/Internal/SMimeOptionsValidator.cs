using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Checks <see cref="SMimeOptions"/> at start and loads the certificates and keys, so a wrong password, a missing file
/// or a weak key fails the host with a message naming the entry (<c>Mailing:SMime:Identities:0:PfxPath ...</c>),
/// never the first send or parse. What it loaded reaches the filter and the parser through <see cref="SMimeKeyStoreHolder"/>.
/// </summary>
internal sealed class SMimeOptionsValidator(string path, SMimeKeyStoreHolder holder, TimeProvider timeProvider) : IValidateOptions<SMimeOptions>
{
    public ValidateOptionsResult Validate(string? name, SMimeOptions options)
    {
        if (name is not null && name != Options.DefaultName)
            return ValidateOptionsResult.Skip;
        if (holder.Store is not null)
            return ValidateOptionsResult.Success;

        var (store, errors) = SMimeKeyLoader.Load(options, path, timeProvider.GetUtcNow().UtcDateTime);
        if (store is null)
            return ValidateOptionsResult.Fail(errors);
        holder.Set(store);
        return ValidateOptionsResult.Success;
    }
}

/// <summary>Where the validator leaves the store it loaded; one per container.</summary>
internal sealed class SMimeKeyStoreHolder
{
    private SMimeKeyStore? store;

    public SMimeKeyStore? Store => Volatile.Read(ref store);

    public void Set(SMimeKeyStore loaded) => Interlocked.CompareExchange(ref store, loaded, null);

    /// <summary>The store, loading it through the options (which runs the validator) when the host did not start it.</summary>
    public SMimeKeyStore Get(IOptions<SMimeOptions> options)
    {
        _ = options.Value;
        return Store ?? throw new InvalidOperationException("The S/MIME certificates were not loaded: the Mailing:SMime options were not validated.");
    }
}
