using MimeKit;
using MimeKit.Cryptography;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Verifies every DKIM-Signature of a message on MimeKit's <see cref="DkimVerifier"/> and turns each outcome into a
/// <see cref="DkimSignatureResult"/> with a reason: malformed tags, unacceptable algorithms, expired signatures and
/// missing keys are errors of that signature, never exceptions.
/// </summary>
internal sealed class DkimSignatureVerifier
{
    private readonly DkimVerifier verifier;
    private readonly TimeProvider time;
    private readonly int maximumSignatures;

    public DkimSignatureVerifier(IDkimPublicKeyLocator locator, TimeProvider time, int maximumSignatures)
    {
        verifier = new DkimVerifier(locator) { MinimumRsaKeyLength = DnsDkimKeyLocator.MinimumRsaBits };
        // RFC 8301: rsa-sha1 signatures are not valid; MimeKit would otherwise accept them.
        verifier.Disable(DkimSignatureAlgorithm.RsaSha1);
        this.time = time;
        this.maximumSignatures = maximumSignatures;
    }

    public async ValueTask<IReadOnlyList<DkimSignatureResult>> VerifyAllAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var results = new List<DkimSignatureResult>();
        foreach (var header in message.Headers)
        {
            if (header.Id != HeaderId.DkimSignature)
                continue;
            if (results.Count == maximumSignatures)
            {
                results.Add(new DkimSignatureResult(AuthenticationStatus.PermError, null, null, null, $"more than {maximumSignatures} signatures; the rest were not checked"));
                break;
            }

            results.Add(await VerifyAsync(message, header, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async ValueTask<DkimSignatureResult> VerifyAsync(MimeMessage message, Header header, CancellationToken cancellationToken)
    {
        var tags = DkimTags.Parse(header.Value);
        if (tags is null)
            return new DkimSignatureResult(AuthenticationStatus.PermError, null, null, null, "signature tags are malformed");

        tags.TryGetValue("d", out var domain);
        tags.TryGetValue("s", out var selector);
        tags.TryGetValue("a", out var algorithm);
        var signatureTag = tags.TryGetValue("b", out var b) && b.Length > 0 ? b[..Math.Min(8, b.Length)] : null;
        DkimSignatureResult Result(AuthenticationStatus status, string? reason, bool unsigned = false) =>
            new(status, domain, selector, algorithm, reason, unsigned, signatureTag);

        foreach (var required in (string[])["v", "a", "b", "bh", "d", "h", "s"])
        {
            if (!tags.ContainsKey(required))
                return Result(AuthenticationStatus.PermError, $"signature has no {required}= tag");
        }

        if (tags["v"] != "1")
            return Result(AuthenticationStatus.PermError, $"signature version {tags["v"]} is not 1");
        if (algorithm is not ("rsa-sha256" or "ed25519-sha256"))
        {
            return Result(AuthenticationStatus.PermError, algorithm == "rsa-sha1"
                ? "rsa-sha1 signatures are not accepted (RFC 8301)"
                : $"unknown algorithm {algorithm}");
        }

        if (!DmarcEvaluator.IsDomainName(domain!))
            return Result(AuthenticationStatus.PermError, "d= is not a domain name");
        if (!tags["h"].Split(':').Any(h => h.Equals("from", StringComparison.OrdinalIgnoreCase)))
            return Result(AuthenticationStatus.PermError, "h= does not sign the From header");
        if (tags.TryGetValue("i", out var identity) && !IsWithin(identity, domain!))
            return Result(AuthenticationStatus.PermError, "i= is not within d=");
        if (tags.TryGetValue("x", out var expiry))
        {
            if (!long.TryParse(expiry, out var expires))
                return Result(AuthenticationStatus.PermError, "x= is not a number");
            if (expires < time.GetUtcNow().ToUnixTimeSeconds())
                return Result(AuthenticationStatus.PermError, "signature expired");
        }

        long? bodyLength = null;
        if (tags.TryGetValue("l", out var lengthText))
        {
            if (!long.TryParse(lengthText, out var length) || length < 0)
                return Result(AuthenticationStatus.PermError, "l= is not a length");
            bodyLength = length;
        }

        bool verified;
        try
        {
            verified = await verifier.VerifyAsync(message, header, cancellationToken).ConfigureAwait(false);
        }
        catch (DkimKeyException e)
        {
            return Result(e.Status, e.Message);
        }
        catch (FormatException e)
        {
            return Result(AuthenticationStatus.PermError, "signature is malformed: " + e.Message);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException or Org.BouncyCastle.Crypto.CryptoException)
        {
            return Result(AuthenticationStatus.PermError, "signature could not be checked: " + e.Message);
        }

        if (!verified)
            return Result(AuthenticationStatus.Fail, "signature did not verify");
        if (bodyLength is { } signedLength && CanonicalBodyLength(message, tags.GetValueOrDefault("c")) > signedLength)
            return Result(AuthenticationStatus.Pass, $"body has content beyond the {signedLength} signed bytes (l=)", unsigned: true);
        return Result(AuthenticationStatus.Pass, null);
    }

    private static bool IsWithin(string identity, string domain)
    {
        var at = identity.LastIndexOf('@');
        var host = (at < 0 ? identity : identity[(at + 1)..]).TrimEnd('.');
        return host.Equals(domain, StringComparison.OrdinalIgnoreCase)
            || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The length of the body after DKIM body canonicalization (RFC 6376 section 3.4), to compare with l=.</summary>
    internal static long CanonicalBodyLength(MimeMessage message, string? canonicalization)
    {
        var relaxed = canonicalization is not null && canonicalization.Contains('/', StringComparison.Ordinal)
            ? canonicalization[(canonicalization.IndexOf('/', StringComparison.Ordinal) + 1)..] == "relaxed"
            : false;
        if (message.Body is null)
            return 2;

        using var stream = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        message.Body.WriteTo(format, stream, contentOnly: true);
        var text = System.Text.Encoding.Latin1.GetString(stream.GetBuffer(), 0, (int)stream.Length);

        long length = 0, pendingEmptyLines = 0;
        foreach (var rawLine in text.Split("\r\n"))
        {
            var line = relaxed ? RelaxLine(rawLine) : rawLine;
            if (line.Length == 0)
            {
                pendingEmptyLines++;
                continue;
            }

            // Empty lines count only when content follows them: trailing ones are dropped.
            length += (pendingEmptyLines * 2) + line.Length + 2;
            pendingEmptyLines = 0;
        }

        // An empty body canonicalizes to CRLF under simple and to nothing under relaxed.
        return length == 0 && !relaxed ? 2 : length;
    }

    private static string RelaxLine(string line)
    {
        var builder = new System.Text.StringBuilder(line.Length);
        var inWhitespace = false;
        foreach (var c in line)
        {
            if (c is ' ' or '\t')
            {
                inWhitespace = true;
                continue;
            }

            if (inWhitespace && builder.Length > 0)
                builder.Append(' ');
            inWhitespace = false;
            builder.Append(c);
        }

        // Leading whitespace is kept as one space in relaxed body canonicalization; trailing whitespace goes.
        if (line.Length > 0 && line[0] is ' ' or '\t' && builder.Length > 0)
            builder.Insert(0, ' ');
        return builder.ToString();
    }
}
