using System.Text;
using Mailing.Toolkit.Security.Internal;
using MimeKit;
using MimeKit.Cryptography;

namespace Mailing.Toolkit.Security;

/// <summary>Writes and reads the <c>Authentication-Results</c> header field (RFC 8601).</summary>
public static class AuthenticationResultsHeader
{
    /// <summary>The header field's name.</summary>
    public const string Name = "Authentication-Results";

    private const int MaximumCommentLength = 200;

    /// <summary>
    /// Formats results as the header field's value, for example
    /// <c>mx.example.com; spf=pass smtp.mailfrom=example.org; dkim=pass header.d=example.org header.s=sel header.a=rsa-sha256 header.b=abcd1234; arc=none; dmarc=pass (p=reject dis=none) header.from=example.org</c>.
    /// Text that came from the message or from DNS is quoted or escaped: it can never end the header or add one.
    /// </summary>
    public static string Format(MailAuthenticationResults results) => Format(results, "; ", comments: true);

    /// <summary>
    /// Formats with <paramref name="separator"/> between the methods (<c>";\r\n\t"</c> folds one method per line);
    /// without <paramref name="comments"/>, only results and identities, no reason text.
    /// </summary>
    internal static string Format(MailAuthenticationResults results, string separator, bool comments)
    {
        ArgumentNullException.ThrowIfNull(results);
        var builder = new StringBuilder(256);
        builder.Append(Token(results.AuthServId));

        var spf = results.Spf;
        builder.Append(separator).Append("spf=").Append(Lower(spf.Status));
        Comment(builder, comments, spf.Status is AuthenticationStatus.Pass or AuthenticationStatus.None ? null : spf.Explanation);
        if (spf.Domain is { } spfDomain)
            Property(builder, spf.Identity == "helo" ? "smtp.helo" : "smtp.mailfrom", spfDomain);

        if (results.Dkim.Count == 0)
            builder.Append(separator).Append("dkim=none");
        foreach (var dkim in results.Dkim)
        {
            builder.Append(separator).Append("dkim=").Append(Lower(dkim.Status));
            Comment(builder, comments, dkim.Reason);
            Property(builder, "header.d", dkim.Domain);
            Property(builder, "header.s", dkim.Selector);
            Property(builder, "header.a", dkim.Algorithm);
            Property(builder, "header.b", dkim.SignatureTag);
        }

        builder.Append(separator).Append("arc=").Append(Lower(results.Arc.Status));
        if (results.Arc.Status == AuthenticationStatus.Fail)
            Comment(builder, comments, results.Arc.FailedInstance is { } i ? $"i={i} {results.Arc.Reason}" : results.Arc.Reason);

        var dmarc = results.Dmarc;
        builder.Append(separator).Append("dmarc=").Append(Lower(dmarc.Status));
        if (dmarc.Policy is { } policy)
            Comment(builder, comments, $"p={Lower(policy)} dis={Lower(dmarc.Disposition)}{(dmarc.Testing ? " t=y" : "")}");
        Property(builder, "header.from", dmarc.Domain);
        return builder.ToString();
    }

    /// <summary>
    /// Adds the header at the top of <paramref name="message"/>, after removing every existing
    /// <c>Authentication-Results</c> header that claims the same authserv-id: those are forgeries (RFC 8601 section 5).
    /// </summary>
    public static void Apply(MimeMessage message, MailAuthenticationResults results)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(results);
        for (var i = message.Headers.Count - 1; i >= 0; i--)
        {
            var header = message.Headers[i];
            if (header.Id == HeaderId.AuthenticationResults && ReadServId(header) is { } id
                && id.Equals(results.AuthServId, StringComparison.OrdinalIgnoreCase))
            {
                message.Headers.RemoveAt(i);
            }
        }

        message.Headers.Insert(0, new Header(HeaderId.AuthenticationResults, Format(results)));
    }

    /// <summary>
    /// Reads the newest <c>Authentication-Results</c> header of one of <paramref name="trustedServIds"/> that the site
    /// itself added: only headers above the first <c>Received</c> header of a hop from outside the site are read, because
    /// a sender can write a header with any authserv-id into the message it sends. A hop inside the site (from a host
    /// named in <paramref name="trustedServIds"/> or <paramref name="trustedHosts"/>, on a loopback or private address,
    /// such as Postfix handing over to Dovecot LMTP) does not end the search. Headers of other authserv-ids are skipped;
    /// methods the header does not report come back as <see cref="AuthenticationStatus.None"/>.
    /// </summary>
    /// <param name="message">The message as it was delivered.</param>
    /// <param name="trustedServIds">The authserv-ids whose results are believed.</param>
    /// <param name="trustedHosts">More host names of the site's own relays, as <see cref="MailAuthenticationOptions.TrustedReceivers"/>.</param>
    /// <returns>The results, with <see cref="MailAuthenticationResults.FromTrustedHeader"/> set, or <see langword="null"/> when no trusted header parses.</returns>
    public static MailAuthenticationResults? ReadTrusted(MimeMessage message, IEnumerable<string> trustedServIds, IEnumerable<string>? trustedHosts = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(trustedServIds);
        var trusted = new HashSet<string>(trustedServIds, StringComparer.OrdinalIgnoreCase);
        if (trusted.Count == 0)
            return null;
        var siteHosts = new HashSet<string>(trusted, StringComparer.OrdinalIgnoreCase);
        if (trustedHosts is not null)
            siteHosts.UnionWith(trustedHosts);

        foreach (var header in message.Headers)
        {
            if (header.Id == HeaderId.Received)
            {
                // Everything below the hop from outside was in the message before the site received it.
                if (!ReceivedHeaderFacts.IsInternalHop(ReceivedHeaderFacts.Parse(header.Value), siteHosts))
                    return null;
                continue;
            }

            if (header.Id == HeaderId.AuthenticationResults && TryParse(header.RawValue, out var results) && trusted.Contains(results.AuthServId))
                return results;
        }

        return null;
    }

    /// <summary>Parses one header value. Unknown methods are ignored; a value that is not RFC 8601 gives <see langword="false"/>.</summary>
    public static bool TryParse(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MailAuthenticationResults? results)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(Encoding.UTF8.GetBytes(value), out results);
    }

    private static bool TryParse(byte[] value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MailAuthenticationResults? results)
    {
        results = null;
        if (!AuthenticationResults.TryParse(value, out var parsed) || string.IsNullOrEmpty(parsed.AuthenticationServiceIdentifier))
            return false;

        SpfCheckResult? spf = null;
        ArcChainResult? arc = null;
        DmarcResult? dmarc = null;
        var dkim = new List<DkimSignatureResult>();
        foreach (var method in parsed.Results)
        {
            var status = ParseStatus(method.Result);
            var comment = method.ResultComment ?? method.Reason;
            switch (method.Method.ToLowerInvariant())
            {
                case "spf" when spf is null:
                    var helo = PropertyValue(method, "smtp", "helo");
                    var mailFrom = PropertyValue(method, "smtp", "mailfrom");
                    spf = new SpfCheckResult(status, mailFrom is null && helo is not null ? "helo" : "mailfrom", DomainOf(mailFrom ?? helo), comment);
                    break;
                case "dkim" when status != AuthenticationStatus.None:
                    dkim.Add(new DkimSignatureResult(status, PropertyValue(method, "header", "d") ?? DomainOf(PropertyValue(method, "header", "i")),
                        PropertyValue(method, "header", "s"), PropertyValue(method, "header", "a"), comment,
                        SignatureTag: PropertyValue(method, "header", "b")));
                    break;
                case "arc" when arc is null:
                    arc = new ArcChainResult(status, 0, Reason: comment);
                    break;
                case "dmarc" when dmarc is null:
                    dmarc = ReadDmarc(method, status);
                    break;
            }
        }

        results = new MailAuthenticationResults
        {
            AuthServId = parsed.AuthenticationServiceIdentifier,
            Spf = spf ?? new SpfCheckResult(AuthenticationStatus.None, "mailfrom", null),
            Dkim = dkim,
            Arc = arc ?? new ArcChainResult(AuthenticationStatus.None, 0),
            Dmarc = dmarc ?? new DmarcResult(AuthenticationStatus.None, null),
            FromTrustedHeader = true,
        };
        return true;
    }

    private static DmarcResult ReadDmarc(AuthenticationMethodResult method, AuthenticationStatus status)
    {
        DmarcPolicy? policy = ParsePolicy(PropertyValue(method, "policy", "dmarc"));
        DmarcPolicy? disposition = null;
        var testing = false;
        foreach (var word in (method.ResultComment ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith("p=", StringComparison.OrdinalIgnoreCase))
                policy ??= ParsePolicy(word[2..]);
            else if (word.StartsWith("dis=", StringComparison.OrdinalIgnoreCase))
                disposition = ParsePolicy(word[4..]);
            else if (word.Equals("t=y", StringComparison.OrdinalIgnoreCase))
                testing = true;
        }

        return new DmarcResult(status, PropertyValue(method, "header", "from"), Policy: policy,
            Disposition: disposition ?? (status == AuthenticationStatus.Fail && policy is { } p && !testing ? p : DmarcPolicy.None),
            Testing: testing, Reason: method.Reason);
    }

    private static DmarcPolicy? ParsePolicy(string? text) => text?.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };

    private static string? PropertyValue(AuthenticationMethodResult method, string type, string name)
    {
        foreach (var property in method.Properties)
        {
            if (property.PropertyType.Equals(type, StringComparison.OrdinalIgnoreCase) && property.Property.Equals(name, StringComparison.OrdinalIgnoreCase))
                return property.Value;
        }

        return null;
    }

    private static string? DomainOf(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        var at = value.LastIndexOf('@');
        return at < 0 ? value : value[(at + 1)..];
    }

    private static AuthenticationStatus ParseStatus(string? result) => result?.ToLowerInvariant() switch
    {
        "pass" => AuthenticationStatus.Pass,
        "fail" or "hardfail" => AuthenticationStatus.Fail,
        "softfail" => AuthenticationStatus.SoftFail,
        "neutral" => AuthenticationStatus.Neutral,
        "policy" => AuthenticationStatus.Policy,
        "temperror" => AuthenticationStatus.TempError,
        "permerror" => AuthenticationStatus.PermError,
        _ => AuthenticationStatus.None,
    };

    private static string? ReadServId(Header header) =>
        AuthenticationResults.TryParse(header.RawValue, out var parsed) ? parsed.AuthenticationServiceIdentifier : null;

    /// <summary>The RFC 8601 spelling of a result: lower case.</summary>
    internal static string Lower(AuthenticationStatus status) => status switch
    {
        AuthenticationStatus.None => "none",
        AuthenticationStatus.Pass => "pass",
        AuthenticationStatus.Fail => "fail",
        AuthenticationStatus.SoftFail => "softfail",
        AuthenticationStatus.Neutral => "neutral",
        AuthenticationStatus.Policy => "policy",
        AuthenticationStatus.TempError => "temperror",
        _ => "permerror",
    };

    internal static string Lower(DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.Quarantine => "quarantine",
        DmarcPolicy.Reject => "reject",
        _ => "none",
    };

    private static void Property(StringBuilder builder, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return;
        builder.Append(' ').Append(name).Append('=').Append(Token(value));
    }

    /// <summary>A value as it may stand in the header: itself when it is a plain token, else a quoted string without control characters.</summary>
    private static string Token(string value)
    {
        var plain = value.Length > 0;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@' or '+' or '/' or '='))
            {
                plain = false;
                break;
            }
        }

        if (plain)
            return value;
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (char.IsControl(c))
                continue;
            if (c is '"' or '\\')
                quoted.Append('\\');
            quoted.Append(c);
        }

        return quoted.Append('"').ToString();
    }

    private static void Comment(StringBuilder builder, bool comments, string? text)
    {
        if (!comments || string.IsNullOrWhiteSpace(text))
            return;
        builder.Append(" (");
        var written = 0;
        foreach (var c in text)
        {
            if (written == MaximumCommentLength)
            {
                builder.Append("...");
                break;
            }

            if (char.IsControl(c) || c > '~')
                continue;
            if (c is '(' or ')' or '\\')
                builder.Append('\\');
            builder.Append(c);
            written++;
        }

        builder.Append(')');
    }
}
