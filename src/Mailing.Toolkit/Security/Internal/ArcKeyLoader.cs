using System.Globalization;
using Microsoft.Extensions.Options;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>A loaded ARC key: the DNS name of its public key and the private key. Never prints the key.</summary>
internal sealed class ArcKey(string domain, string selector, AsymmetricKeyParameter privateKey)
{
    public string Domain { get; } = domain;

    public string Selector { get; } = selector;

    public AsymmetricKeyParameter PrivateKey { get; } = privateKey;

    public override string ToString() => $"ARC key {Selector}._domainkey.{Domain} (rsa-sha256)";
}

/// <summary>The sealing keys (one per domain, the first the default), the AMS header selection and the authserv-id override.</summary>
internal sealed class ArcKeyRing(IReadOnlyList<ArcKey> keys, DkimHeaderSelection headers, string? authServId)
{
    public IReadOnlyList<ArcKey> Keys { get; } = keys;

    public DkimHeaderSelection Headers { get; } = headers;

    public string? AuthServId { get; } = authServId;

    /// <summary>The key of <paramref name="domain"/> (A-labels or U-labels, any case), or the first key for <see langword="null"/>.</summary>
    public ArcKey? For(string? domain)
    {
        if (domain is null)
            return Keys[0];
        var wanted = domain.Trim().TrimEnd('.');
        try
        {
            wanted = new IdnMapping().GetAscii(wanted);
        }
        catch (ArgumentException)
        {
            // not a domain name: compared as given, so it matches nothing
        }

        return Keys.FirstOrDefault(k => k.Domain.Equals(wanted, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Where the validator leaves the keys it loaded, for the sealer; one per container.</summary>
internal sealed class ArcKeyRingHolder
{
    private ArcKeyRing? ring;

    public ArcKeyRing? Ring => Volatile.Read(ref ring);

    public void Set(ArcKeyRing loaded) => Interlocked.CompareExchange(ref ring, loaded, null);
}

/// <summary>
/// Checks <see cref="ArcSealingOptions"/> and loads the keys once, at start, reading them the way DKIM keys are read
/// (PEM file, PEM text or certificate store). Each error names the configuration key to fix; none quotes key material.
/// </summary>
internal static class ArcKeyLoader
{
    /// <summary>What the ARC-Message-Signature must not cover: fields relays change, and the ARC fields themselves (RFC 8617 section 4.1.2).</summary>
    private static readonly string[] ForbiddenHeaders =
    [
        "return-path", "received", "comments", "keywords", "bcc", "resent-bcc", "authentication-results",
        "arc-seal", "arc-message-signature", "arc-authentication-results",
    ];

    public static (ArcKeyRing? Ring, List<string> Errors) Load(ArcSealingOptions options, string path)
    {
        var errors = new List<string>();
        string? authServId = null;
        if (options.AuthServId is { } id)
        {
            authServId = id.Trim();
            if (authServId.Length is 0 or > 255 || !authServId.All(c => c is > ' ' and < (char)127 and not ';' and not '(' and not ')' and not '"' and not '\\'))
                errors.Add($"{path}:AuthServId '{DkimKeyLoader.Printable(id)}' must be a host name such as mx.example.com (printable ASCII, no spaces, semicolons, quotes or parentheses); leave it out to use the authserv-id of the results.");
        }

        var signed = DkimKeyLoader.CheckHeaderList(
            (IEnumerable<string?>?)options.SignedHeaders ?? ArcSealingOptions.DefaultSignedHeaders, $"{path}:SignedHeaders", errors,
            requireFrom: true, ForbiddenHeaders, "the ARC-Message-Signature always signs it (RFC 8617 section 4.1.2, as DKIM does)");

        if (options.Keys.Count == 0)
            errors.Add($"{path}:Keys is empty: add the key this host seals with (Domain, Selector and a private key).");

        var keys = new List<ArcKey>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var keyPath = $"{path}:Keys:{i}";
            var key = options.Keys[i];
            if (key is null)
            {
                errors.Add($"{keyPath} is empty.");
                continue;
            }

            var loaded = LoadKey(key, keyPath, errors);
            if (loaded is null)
                continue;
            if (keys.Any(k => k.Domain == loaded.Domain))
            {
                errors.Add($"{keyPath} is a second key for domain '{loaded.Domain}': a host seals once per hop, so keep one key per domain and rotate it by changing its selector.");
                continue;
            }

            keys.Add(loaded);
        }

        return errors.Count == 0
            ? (new ArcKeyRing(keys, new DkimHeaderSelection(signed, []), authServId), errors)
            : (null, errors);
    }

    private static ArcKey? LoadKey(DkimSigningKey key, string keyPath, List<string> errors)
    {
        var before = errors.Count;
        string? domain = null;
        if (string.IsNullOrWhiteSpace(key.Domain))
            errors.Add($"{keyPath}:Domain is required: the domain this host seals as (d=), whose DNS publishes the public key.");
        else
            domain = DkimKeyLoader.NormalizeDomain(key.Domain, $"{keyPath}:Domain", errors);

        var selector = key.Selector?.Trim() ?? string.Empty;
        if (selector.Length == 0)
            errors.Add($"{keyPath}:Selector is required: the name the public key is published under ({{Selector}}._domainkey.{{Domain}}).");
        else if (!DkimKeyLoader.IsDnsName(selector))
            errors.Add($"{keyPath}:Selector '{DkimKeyLoader.Printable(selector)}' must be DNS labels of letters, digits and hyphens, separated by dots.");

        var algorithm = (key.Algorithm ?? string.Empty).Trim().ToLowerInvariant();
        if (algorithm == DkimSigningKey.Ed25519Sha256)
            errors.Add($"{keyPath}:Algorithm is {DkimSigningKey.Ed25519Sha256}, which RFC 8617 does not define for ARC: ARC seals with {DkimSigningKey.RsaSha256} only, so give an RSA key.");
        else if (algorithm != DkimSigningKey.RsaSha256)
            errors.Add($"{keyPath}:Algorithm '{DkimKeyLoader.Printable(key.Algorithm)}' must be {DkimSigningKey.RsaSha256}, the one algorithm RFC 8617 defines for ARC.");

        if (key.SignSubdomains)
            errors.Add($"{keyPath}:SignSubdomains does not apply to ARC: a seal names this host's domain, not the From domain; remove it.");
        if (!string.IsNullOrWhiteSpace(key.AgentOrUserIdentifier))
            errors.Add($"{keyPath}:AgentOrUserIdentifier does not apply to ARC: an ARC-Message-Signature has no identity tag; remove it.");

        var sources = (string.IsNullOrWhiteSpace(key.PrivateKeyPath) ? 0 : 1)
            + (string.IsNullOrWhiteSpace(key.PrivateKeyPem) ? 0 : 1)
            + (string.IsNullOrWhiteSpace(key.CertificateThumbprint) ? 0 : 1);
        if (sources != 1)
        {
            errors.Add(sources == 0
                ? $"{keyPath} has no private key: set one of PrivateKeyPath, PrivateKeyPem or CertificateThumbprint."
                : $"{keyPath} sets more than one of PrivateKeyPath, PrivateKeyPem and CertificateThumbprint: keep exactly one.");
        }

        if (errors.Count > before || domain is null)
            return null;

        var privateKey = DkimKeyLoader.ReadPrivateKey(key, keyPath, errors);
        if (privateKey is null || !DkimKeyLoader.CheckKey(privateKey, DkimSignatureAlgorithm.RsaSha256, keyPath, errors))
            return null;
        return new ArcKey(domain, selector, privateKey);
    }
}

/// <summary>
/// Checks <see cref="ArcSealingOptions"/> at start and loads the keys, so a missing file, an Ed25519 key or a short RSA
/// key fails the host with a message naming the entry (<c>Mailing:Arc:Keys:0:Algorithm ...</c>), never the first forward.
/// </summary>
internal sealed class ArcSealingOptionsValidator(string path, ArcKeyRingHolder holder) : IValidateOptions<ArcSealingOptions>
{
    public ValidateOptionsResult Validate(string? name, ArcSealingOptions options)
    {
        if (name is not null && name != Options.DefaultName)
            return ValidateOptionsResult.Skip;
        if (holder.Ring is not null)
            return ValidateOptionsResult.Success;

        var (ring, errors) = ArcKeyLoader.Load(options, path);
        if (ring is null)
            return ValidateOptionsResult.Fail(errors);
        holder.Set(ring);
        return ValidateOptionsResult.Success;
    }
}
