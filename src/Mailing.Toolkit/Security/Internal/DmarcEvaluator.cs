namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// DMARC as RFC 9989 (DMARCbis) defines it: the policy record and the organizational domain are both found by the DNS
/// tree walk (no public suffix list), identifiers are aligned strictly or relaxed, and the policy that applies is
/// <c>p</c>, <c>sp</c> or <c>np</c>, downgraded one step in test mode (<c>t=y</c>).
/// </summary>
internal sealed class DmarcEvaluator
{
    /// <summary>RFC 9989 section 4.10: a walk starts at most this many labels down, so it asks at most this many names.</summary>
    internal const int MaximumWalkLabels = 7;

    private static readonly DnsRecordType[] ExistenceTypes = [DnsRecordType.A, DnsRecordType.Aaaa, DnsRecordType.Mx];

    private readonly IDnsResolver resolver;

    public DmarcEvaluator(IDnsResolver resolver) => this.resolver = resolver;

    /// <summary>Evaluates the author domain against the SPF result and the DKIM signatures that passed.</summary>
    public async ValueTask<DmarcResult> EvaluateAsync(string? authorDomain, SpfCheckResult spf, IReadOnlyList<DkimSignatureResult> dkim, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(authorDomain) || !IsDomainName(authorDomain))
            return new DmarcResult(AuthenticationStatus.PermError, authorDomain, Reason: "no single valid author domain in From");
        var domain = authorDomain.TrimEnd('.').ToLowerInvariant();

        var found = await DiscoverPolicyAsync(domain, cancellationToken).ConfigureAwait(false);
        if (found.Failed)
            return new DmarcResult(AuthenticationStatus.TempError, domain, Reason: "DNS failure looking up the DMARC record");
        if (found.Record is null)
            return new DmarcResult(AuthenticationStatus.None, domain, Reason: "no DMARC record");

        // Unknown (null) after a DNS failure: then only identifiers equal to the author domain can align.
        var organization = await FindOrganizationalDomainAsync(domain, cancellationToken).ConfigureAwait(false);

        var record = found.Record;
        var spfAligned = false;
        var dkimAligned = false;
        var anyTempError = false;
        var unsignedContentOnly = false;
        if (spf.Status == AuthenticationStatus.Pass && spf.Domain is { } spfDomain)
            spfAligned = await IsAlignedAsync(spfDomain, domain, organization, record.StrictSpf, cancellationToken).ConfigureAwait(false) ?? Flag(ref anyTempError);
        else if (spf.Status == AuthenticationStatus.TempError)
            anyTempError = true;

        foreach (var signature in dkim)
        {
            if (dkimAligned)
                break;
            // A signature with l= over a body that holds more than it covers vouches only for part of what the reader
            // sees: anyone may have appended the rest, so it cannot make the author domain's mail pass.
            if (signature is { Status: AuthenticationStatus.Pass, UnsignedContent: true })
                unsignedContentOnly = true;
            else if (signature.Status == AuthenticationStatus.Pass && signature.Domain is { } dkimDomain)
                dkimAligned = await IsAlignedAsync(dkimDomain, domain, organization, record.StrictDkim, cancellationToken).ConfigureAwait(false) ?? Flag(ref anyTempError);
            else if (signature.Status == AuthenticationStatus.TempError)
                anyTempError = true;
        }

        var policy = await SelectPolicyAsync(domain, found.Domain!, record, cancellationToken).ConfigureAwait(false);
        if (spfAligned || dkimAligned)
        {
            return new DmarcResult(AuthenticationStatus.Pass, domain, found.Domain, organization, policy, DmarcPolicy.None, record.Testing,
                spfAligned, dkimAligned, spfAligned && dkimAligned ? "SPF and DKIM aligned" : spfAligned ? "SPF aligned" : "DKIM aligned");
        }

        // Without an aligned pass, a temporary failure of one of them may have hidden one: say so rather than fail.
        if (anyTempError)
        {
            return new DmarcResult(AuthenticationStatus.TempError, domain, found.Domain, organization, policy, DmarcPolicy.None, record.Testing,
                Reason: organization is null ? "no aligned pass, and DNS failed finding the organizational domain" : "no aligned pass, and a check failed temporarily");
        }

        var disposition = record.Testing ? Downgrade(policy) : policy;
        return new DmarcResult(AuthenticationStatus.Fail, domain, found.Domain, organization, policy, disposition, record.Testing,
            Reason: unsignedContentOnly ? "no aligned SPF or DKIM pass (a DKIM pass with l= and unsigned appended content does not count)" : "no aligned SPF or DKIM pass");
    }

    private static bool Flag(ref bool flag)
    {
        flag = true;
        return false;
    }

    private static DmarcPolicy Downgrade(DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.Reject => DmarcPolicy.Quarantine,
        _ => DmarcPolicy.None,
    };

    /// <summary>Policy discovery (RFC 9989 section 4.10.1): the author domain, then the tree walk upward.</summary>
    private async ValueTask<Lookup> DiscoverPolicyAsync(string domain, CancellationToken cancellationToken)
    {
        foreach (var target in WalkTargets(domain))
        {
            var lookup = await QueryRecordAsync(target, cancellationToken).ConfigureAwait(false);
            if (lookup.Failed || lookup.Record is not null)
                return lookup;
        }

        return default;
    }

    /// <summary>
    /// Organizational domain (RFC 9989 section 4.10.2): walking up, a record with <c>psd=n</c> marks its own domain,
    /// one with <c>psd=y</c> the domain one label below it; without either, the shortest domain that has a record;
    /// without any record, the domain itself. <see langword="null"/> when a DNS failure leaves it unknown: a record above
    /// the names already asked could still make it shorter, or longer with <c>psd=y</c>.
    /// </summary>
    internal async ValueTask<string?> FindOrganizationalDomainAsync(string domain, CancellationToken cancellationToken)
    {
        string? shortestWithRecord = null;
        string? previous = null;
        foreach (var target in WalkTargets(domain))
        {
            var lookup = await QueryRecordAsync(target, cancellationToken).ConfigureAwait(false);
            if (lookup.Failed)
                return null;
            if (lookup.Record is { } record)
            {
                if (record.PublicSuffix == 'n')
                    return target;
                if (record.PublicSuffix == 'y')
                    return previous is null ? target : ChildOf(target, domain);
                shortestWithRecord = target;
            }

            previous = target;
        }

        return shortestWithRecord ?? domain;
    }

    /// <summary>The label of <paramref name="domain"/> directly below <paramref name="ancestor"/>, with the ancestor.</summary>
    private static string ChildOf(string ancestor, string domain)
    {
        var head = domain[..(domain.Length - ancestor.Length - 1)];
        var lastDot = head.LastIndexOf('.');
        return (lastDot < 0 ? head : head[(lastDot + 1)..]) + "." + ancestor;
    }

    /// <summary>
    /// The names the tree walk asks: the domain itself; then, for a domain of more than seven labels, its last seven;
    /// then one label fewer each time, down to the top-level domain.
    /// </summary>
    internal static IEnumerable<string> WalkTargets(string domain)
    {
        yield return domain;
        var labels = domain.Split('.');
        var start = labels.Length > MaximumWalkLabels + 1 ? labels.Length - MaximumWalkLabels : 1;
        for (var i = start; i < labels.Length; i++)
            yield return string.Join('.', labels, i, labels.Length - i);
    }

    private async ValueTask<Lookup> QueryRecordAsync(string target, CancellationToken cancellationToken)
    {
        var answer = await resolver.QuerySafelyAsync("_dmarc." + target, DnsRecordType.Txt, cancellationToken).ConfigureAwait(false);
        if (answer.Status == DnsQueryStatus.TemporaryFailure)
            return new Lookup(null, null, true);
        DmarcRecord? found = null;
        foreach (var text in answer.Records)
        {
            if (DmarcRecord.TryParse(text) is not { } record)
                continue;
            // More than one policy record at a name: none of them applies (RFC 9989 section 4.10).
            if (found is not null)
                return default;
            found = record;
        }

        return found is null ? default : new Lookup(target, found, false);
    }

    /// <returns>Whether the identifier aligns, or <see langword="null"/> when a DNS failure leaves it unknown.</returns>
    private async ValueTask<bool?> IsAlignedAsync(string identifier, string authorDomain, string? authorOrganization, bool strict, CancellationToken cancellationToken)
    {
        identifier = identifier.TrimEnd('.').ToLowerInvariant();
        if (identifier == authorDomain)
            return true;
        if (strict)
            return false;
        if (authorOrganization is null)
            return null;
        // Relaxed: same organizational domain. Unrelated names cannot share one, which saves the walk.
        if (!identifier.EndsWith("." + authorOrganization, StringComparison.Ordinal) && identifier != authorOrganization)
            return false;
        var organization = await FindOrganizationalDomainAsync(identifier, cancellationToken).ConfigureAwait(false);
        return organization is null ? null : organization == authorOrganization;
    }

    /// <summary><c>p</c> for the domain that published it; <c>np</c> (else <c>sp</c>, else <c>p</c>) for a subdomain that does not exist; else <c>sp</c> (else <c>p</c>).</summary>
    private async ValueTask<DmarcPolicy> SelectPolicyAsync(string domain, string policyDomain, DmarcRecord record, CancellationToken cancellationToken)
    {
        if (domain == policyDomain)
            return record.Policy;
        if (record.NonexistentPolicy is { } nonexistent && !await ExistsAsync(domain, cancellationToken).ConfigureAwait(false))
            return nonexistent;
        return record.SubdomainPolicy ?? record.Policy;
    }

    /// <summary>RFC 9989: a domain exists when it has an A, AAAA or MX record (a DNS failure counts as existing, the safer side).</summary>
    private async ValueTask<bool> ExistsAsync(string domain, CancellationToken cancellationToken)
    {
        foreach (var type in ExistenceTypes)
        {
            var answer = await resolver.QuerySafelyAsync(domain, type, cancellationToken).ConfigureAwait(false);
            if (answer.Status == DnsQueryStatus.TemporaryFailure || answer.Records.Count > 0)
                return true;
        }

        return false;
    }

    internal static bool IsDomainName(string text)
    {
        var name = text.TrimEnd('.');
        if (name.Length is 0 or > 253 || !name.Contains('.', StringComparison.Ordinal))
            return false;
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
                return false;
        }

        return true;
    }

    private readonly record struct Lookup(string? Domain, DmarcRecord? Record, bool Failed);
}
