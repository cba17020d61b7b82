using System.Collections.Concurrent;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>Why a DKIM key could not be had, with the result it gives the signature.</summary>
internal sealed class DkimKeyException(AuthenticationStatus status, string reason) : Exception(reason)
{
    public AuthenticationStatus Status { get; } = status;
}

/// <summary>
/// Finds DKIM and ARC public keys (<c>selector._domainkey.domain</c> TXT) through an <see cref="IDnsResolver"/> and keeps
/// the parsed keys, so a cached DNS answer does not cost a key decode again. Keys outside sane sizes are refused.
/// </summary>
internal sealed class DnsDkimKeyLocator : DkimPublicKeyLocatorBase
{
    internal const int MinimumRsaBits = 1024;
    internal const int MaximumRsaBits = 8192;
    private const int MaximumParsedKeys = 1024;

    private readonly IDnsResolver resolver;
    private readonly ConcurrentDictionary<string, AsymmetricKeyParameter> parsed = new(StringComparer.Ordinal);

    public DnsDkimKeyLocator(IDnsResolver resolver) => this.resolver = resolver;

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        // The verifiers here are only ever called asynchronously; a blocking DNS lookup has no place in this library.
        throw new NotSupportedException("DKIM keys are located asynchronously only: call VerifyAsync.");

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        if (!methods.Split(':').Any(m => m.Trim().Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
            throw new DkimKeyException(AuthenticationStatus.PermError, $"no supported key query method in q={methods}");

        var name = selector + "._domainkey." + domain;
        var answer = await resolver.QuerySafelyAsync(name, DnsRecordType.Txt, cancellationToken).ConfigureAwait(false);
        if (answer.Status == DnsQueryStatus.TemporaryFailure)
            throw new DkimKeyException(AuthenticationStatus.TempError, $"key lookup for {name} failed: {answer.Error}");

        var records = answer.Records.Where(r => !string.IsNullOrWhiteSpace(r)).ToArray();
        if (records.Length == 0)
            throw new DkimKeyException(AuthenticationStatus.PermError, $"no key for selector {selector} at {name}");
        if (records.Length > 1)
            throw new DkimKeyException(AuthenticationStatus.PermError, $"more than one key record at {name}");

        return Parse(records[0]);
    }

    private AsymmetricKeyParameter Parse(string record)
    {
        if (parsed.TryGetValue(record, out var key))
            return key;

        var tags = DkimTags.Parse(record) ?? throw new DkimKeyException(AuthenticationStatus.PermError, "key record is malformed");
        if (tags.TryGetValue("v", out var version) && version != "DKIM1")
            throw new DkimKeyException(AuthenticationStatus.PermError, $"key record version {version} is not DKIM1");
        if (!tags.TryGetValue("p", out var material) || material.Length == 0)
            throw new DkimKeyException(AuthenticationStatus.PermError, "key revoked (empty p=)");

        try
        {
            // Tag values may carry folding whitespace (RFC 6376 section 3.2); hand MimeKit the record without it.
            key = GetPublicKey(string.Join("; ", tags.Select(t => t.Key + "=" + t.Value)));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidCastException or IOException or NotSupportedException or InvalidOperationException)
        {
            throw new DkimKeyException(AuthenticationStatus.PermError, "key record could not be read: " + e.Message);
        }

        if (key is RsaKeyParameters rsa)
        {
            var bits = rsa.Modulus.BitLength;
            if (bits < MinimumRsaBits)
                throw new DkimKeyException(AuthenticationStatus.PermError, $"RSA key of {bits} bits is below the {MinimumRsaBits} that RFC 8301 requires");
            if (bits > MaximumRsaBits)
                throw new DkimKeyException(AuthenticationStatus.PermError, $"RSA key of {bits} bits is above the {MaximumRsaBits} accepted");
        }

        if (parsed.Count >= MaximumParsedKeys)
            parsed.Clear();
        parsed[record] = key;
        return key;
    }
}
