using System.Globalization;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>A loaded key: its DNS name and the MimeKit signer that holds the private key. Never prints the key.</summary>
internal sealed class DkimKey(string domain, string selector, string algorithm, bool signSubdomains, DkimSigner signer)
{
    public string Domain { get; } = domain;

    public string Selector { get; } = selector;

    public string Algorithm { get; } = algorithm;

    public bool SignSubdomains { get; } = signSubdomains;

    public DkimSigner Signer { get; } = signer;

    public override string ToString() => $"DKIM key {Selector}._domainkey.{Domain} ({Algorithm})";
}

/// <summary>MimeKit's signer with the <c>t=</c> timestamp from the container's <see cref="TimeProvider"/>.</summary>
internal sealed class TimedDkimSigner(AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, TimeProvider timeProvider)
    : DkimSigner(key, domain, selector, algorithm)
{
    protected override long GetTimestamp() => timeProvider.GetUtcNow().ToUnixTimeSeconds();

    public override string ToString() => $"DKIM signer {Selector}._domainkey.{Domain}";
}

/// <summary>The keys by domain, loaded once when the options were validated.</summary>
internal sealed class DkimKeyRing
{
    private readonly Dictionary<string, DkimKey[]> byDomain;

    public DkimKeyRing(IReadOnlyList<DkimKey> keys, DkimHeaderSelection headers)
    {
        Keys = keys;
        Headers = headers;
        byDomain = keys.GroupBy(k => k.Domain, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    public IReadOnlyList<DkimKey> Keys { get; }

    public DkimHeaderSelection Headers { get; }

    /// <summary>
    /// The keys that sign mail from <paramref name="fromDomain"/>: every key of that exact domain, or else every key of
    /// the nearest parent domain that allows subdomains. Empty when none does.
    /// </summary>
    public DkimKey[] For(string fromDomain)
    {
        if (byDomain.TryGetValue(fromDomain, out var exact))
            return exact;

        for (var dot = fromDomain.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = fromDomain.IndexOf('.', dot + 1))
        {
            if (byDomain.TryGetValue(fromDomain[(dot + 1)..], out var parent))
            {
                var allowed = parent.Where(k => k.SignSubdomains).ToArray();
                if (allowed.Length > 0)
                    return allowed;
            }
        }

        return [];
    }

    /// <summary>The From domain in the form keys are stored under: A-labels, lower case; null when there is none.</summary>
    public static string? DomainOf(MimeMessage message)
    {
        var from = message.From.Mailboxes.FirstOrDefault();
        var domain = from?.Domain?.Trim().TrimEnd('.');
        if (string.IsNullOrEmpty(domain))
            return null;
        try
        {
            return new IdnMapping().GetAscii(domain).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return domain.ToLowerInvariant();
        }
    }

    public static bool IsSameOrSubdomain(string candidate, string domain) =>
        candidate.Equals(domain, StringComparison.Ordinal) || candidate.EndsWith("." + domain, StringComparison.Ordinal);
}

/// <summary>
/// Which header fields a signature lists in <c>h=</c>: each configured field as often as it occurs in the message,
/// plus one more for the oversigned ones, so an added instance breaks the signature.
/// </summary>
internal sealed class DkimHeaderSelection(string[] signed, string[] oversigned)
{
    private readonly string[] exact = signed.Where(n => !n.EndsWith('*')).ToArray();
    private readonly string[] prefixes = signed.Where(n => n.EndsWith('*')).Select(n => n[..^1]).ToArray();

    public static bool Covers(IEnumerable<string> signed, string name) =>
        signed.Any(s => s.EndsWith('*')
            ? name.StartsWith(s[..^1], StringComparison.OrdinalIgnoreCase)
            : name.Equals(s, StringComparison.OrdinalIgnoreCase));

    public List<string> For(MimeMessage message)
    {
        var fields = new List<string>();
        foreach (var name in exact)
            AddOccurrences(fields, message, name);

        if (prefixes.Length > 0)
        {
            // Each distinct field name that matches a prefix, in the order the message has them.
            foreach (var name in AllFieldNames(message))
            {
                if (!fields.Contains(name, StringComparer.OrdinalIgnoreCase) && prefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
                    AddOccurrences(fields, message, name);
            }
        }

        foreach (var name in oversigned)
            fields.Add(name);
        return fields;
    }

    private static void AddOccurrences(List<string> fields, MimeMessage message, string name)
    {
        // MimeKit keeps the top-level Content-* fields on the body, and signs them from there.
        var headers = name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) ? message.Body?.Headers : message.Headers;
        if (headers is null)
            return;
        foreach (var header in headers)
        {
            if (header.Field.Equals(name, StringComparison.OrdinalIgnoreCase))
                fields.Add(name);
        }
    }

    private static string[] AllFieldNames(MimeMessage message)
    {
        IEnumerable<string> names = message.Headers.Select(h => h.Field);
        if (message.Body is not null)
            names = names.Concat(message.Body.Headers.Select(h => h.Field).Where(f => f.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)));
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }
}
