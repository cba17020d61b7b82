using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>Validates the ARC chain (RFC 8617) on MimeKit's <see cref="ArcVerifier"/>, naming the instance that failed.</summary>
internal sealed class ArcChainVerifier
{
    private readonly ArcVerifier verifier;

    public ArcChainVerifier(IDkimPublicKeyLocator locator)
    {
        verifier = new ArcVerifier(new KeyFailureWitness(locator)) { MinimumRsaKeyLength = DnsDkimKeyLocator.MinimumRsaBits };
        verifier.Disable(DkimSignatureAlgorithm.RsaSha1);
    }

    public async ValueTask<ArcChainResult> VerifyAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var instances = CountInstances(message);
        if (instances == 0)
            return new ArcChainResult(AuthenticationStatus.None, 0);
        if (SignsArcSeal(message) is { } signingInstance)
            return new ArcChainResult(AuthenticationStatus.Fail, instances, signingInstance, "ARC-Message-Signature signs an ARC-Seal (RFC 8617 section 4.1.2)");

        ArcValidationResult result;
        var keyFailure = new KeyFailure();
        KeyFailureWitness.Current.Value = keyFailure;
        try
        {
            result = await verifier.VerifyAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (DkimKeyException e)
        {
            // A key that could not be fetched says nothing about the chain: temperror, so a transient DNS failure never
            // reads as a broken chain.
            var status = e.Status == AuthenticationStatus.TempError ? AuthenticationStatus.TempError : AuthenticationStatus.Fail;
            return new ArcChainResult(status, instances, null, e.Message);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or InvalidOperationException or Org.BouncyCastle.Crypto.CryptoException)
        {
            return new ArcChainResult(AuthenticationStatus.Fail, instances, null, "ARC headers could not be checked: " + e.Message);
        }

        switch (result.Chain)
        {
            case ArcSignatureValidationResult.Pass:
                return new ArcChainResult(AuthenticationStatus.Pass, instances);
            case ArcSignatureValidationResult.None:
                // ARC headers without a complete set: the chain is broken, not absent.
                return new ArcChainResult(AuthenticationStatus.Fail, instances, null, "incomplete ARC set");
        }

        // MimeKit takes a key that could not be fetched for a bad signature; a transient DNS failure is no broken chain.
        if (keyFailure.Reason is { } temporary)
            return new ArcChainResult(AuthenticationStatus.TempError, instances, null, temporary);
        var reason = result.ChainErrors == ArcValidationErrors.None ? "the chain did not validate" : "ARC chain errors: " + result.ChainErrors;
        return new ArcChainResult(AuthenticationStatus.Fail, instances, FailedInstance(result), reason);
    }

    /// <summary>The number of ARC sets: the highest instance any ARC header field names (at least 1 when one exists).</summary>
    internal static int CountInstances(MimeMessage message)
    {
        var highest = 0;
        foreach (var header in message.Headers)
        {
            if (header.Id is HeaderId.ArcSeal or HeaderId.ArcMessageSignature or HeaderId.ArcAuthenticationResults)
                highest = Math.Max(highest, Math.Max(1, ArcInstance(header) ?? 1));
        }

        return highest;
    }

    private static int? SignsArcSeal(MimeMessage message)
    {
        foreach (var header in message.Headers)
        {
            if (header.Id == HeaderId.ArcMessageSignature && DkimTags.Parse(header.Value) is { } tags
                && tags.TryGetValue("h", out var signed)
                && signed.Split(':').Any(h => h.Equals("arc-seal", StringComparison.OrdinalIgnoreCase)))
            {
                return tags.TryGetValue("i", out var i) && int.TryParse(i, out var instance) ? instance : null;
            }
        }

        return null;
    }

    /// <summary>The i= of an ARC header; ARC-Authentication-Results carries it before the authserv-id, not as a tag list.</summary>
    internal static int? ArcInstance(Header header)
    {
        var value = header.Value.TrimStart();
        if (header.Id == HeaderId.ArcAuthenticationResults)
        {
            var semicolon = value.IndexOf(';', StringComparison.Ordinal);
            value = semicolon < 0 ? value : value[..semicolon];
        }

        return DkimTags.Parse(value) is { } tags && tags.TryGetValue("i", out var i) && int.TryParse(i, out var instance) ? instance : null;
    }

    /// <summary>The i= of the first seal that failed, else of the message signature when it failed.</summary>
    private static int? FailedInstance(ArcValidationResult result)
    {
        if (result.Seals is { } seals)
        {
            foreach (var seal in seals)
            {
                if (seal.Signature == ArcSignatureValidationResult.Fail)
                    return Instance(seal.Header);
            }
        }

        return result.MessageSignature is { Signature: ArcSignatureValidationResult.Fail } signature ? Instance(signature.Header) : null;
    }

    private static int? Instance(Header header) => ArcInstance(header);

    private sealed class KeyFailure
    {
        public string? Reason { get; set; }
    }

    /// <summary>Notes a temporary key lookup failure for the verification running in the current async flow.</summary>
    private sealed class KeyFailureWitness(IDkimPublicKeyLocator inner) : IDkimPublicKeyLocator
    {
        public static readonly AsyncLocal<KeyFailure?> Current = new();

        public AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            inner.LocatePublicKey(methods, domain, selector, cancellationToken);

        public async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.LocatePublicKeyAsync(methods, domain, selector, cancellationToken).ConfigureAwait(false);
            }
            catch (DkimKeyException e) when (e.Status == AuthenticationStatus.TempError && Current.Value is { } failure)
            {
                failure.Reason ??= e.Message;
                throw;
            }
        }
    }
}
