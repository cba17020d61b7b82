using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;

namespace Mailing.Toolkit.Tests.Security;

public sealed class DmarcEvaluatorTests
{
    private static readonly SpfCheckResult NoSpf = new(AuthenticationStatus.None, "mailfrom", null);

    [Fact]
    public async Task EvaluateAsync_AlignedDkimPass_PassesWithNoDisposition()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject");

        var result = await Evaluate(zone, "example.com", NoSpf, Dkim("example.com"));

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.True(result.DkimAligned);
        Assert.Equal(DmarcPolicy.Reject, result.Policy);
        Assert.Equal(DmarcPolicy.None, result.Disposition);
        Assert.Equal("example.com", result.PolicyDomain);
    }

    [Fact]
    public async Task EvaluateAsync_NoAlignedPass_FailsWithThePolicyAsDisposition()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=quarantine");

        var result = await Evaluate(zone, "example.com", Spf(AuthenticationStatus.Pass, "attacker.example"), Dkim("attacker.example"));

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.Equal(DmarcPolicy.Quarantine, result.Disposition);
        Assert.False(result.SpfAligned);
        Assert.False(result.DkimAligned);
    }

    [Fact]
    public async Task EvaluateAsync_SubdomainOfPolicyDomain_UsesSpFoundByTheTreeWalk()
    {
        var zone = new InMemoryDnsZone()
            .Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject; sp=quarantine")
            .Add("mail.example.com", DnsRecordType.A, "192.0.2.1");

        var result = await Evaluate(zone, "mail.example.com", NoSpf, []);

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.Equal("example.com", result.PolicyDomain);
        Assert.Equal(DmarcPolicy.Quarantine, result.Policy);
    }

    [Fact]
    public async Task EvaluateAsync_NonexistentSubdomain_UsesNp()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=none; sp=quarantine; np=reject");

        var result = await Evaluate(zone, "ghost.example.com", NoSpf, []);

        Assert.Equal(DmarcPolicy.Reject, result.Policy);
        Assert.Equal(DmarcPolicy.Reject, result.Disposition);
    }

    [Fact]
    public async Task EvaluateAsync_TestMode_DowngradesTheDispositionOneStep()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject; t=y");

        var result = await Evaluate(zone, "example.com", NoSpf, []);

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.True(result.Testing);
        Assert.Equal(DmarcPolicy.Reject, result.Policy);
        Assert.Equal(DmarcPolicy.Quarantine, result.Disposition);
    }

    [Fact]
    public async Task EvaluateAsync_RelaxedAlignment_AcceptsASubdomainOfTheSameOrganization()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject");

        var result = await Evaluate(zone, "example.com", Spf(AuthenticationStatus.Pass, "bounces.example.com"), []);

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.True(result.SpfAligned);
        Assert.Equal("example.com", result.OrganizationalDomain);
    }

    [Fact]
    public async Task EvaluateAsync_StrictAlignment_RefusesASubdomain()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject; aspf=s; adkim=s");

        var result = await Evaluate(zone, "example.com", Spf(AuthenticationStatus.Pass, "bounces.example.com"), Dkim("mail.example.com"));

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
    }

    [Fact]
    public async Task EvaluateAsync_PublicSuffixRecord_MakesTheChildTheOrganizationalDomain()
    {
        // psd=y at "example" (a public suffix by its own declaration): a.example and b.example are different organizations.
        var zone = new InMemoryDnsZone()
            .Add("_dmarc.example", DnsRecordType.Txt, "v=DMARC1; p=reject; psd=y")
            .Add("shop.a.example", DnsRecordType.A, "192.0.2.1");

        var aligned = await Evaluate(zone, "shop.a.example", Spf(AuthenticationStatus.Pass, "mail.a.example"), []);
        var foreign = await Evaluate(zone, "shop.a.example", Spf(AuthenticationStatus.Pass, "b.example"), []);

        Assert.Equal("a.example", aligned.OrganizationalDomain);
        Assert.Equal(AuthenticationStatus.Pass, aligned.Status);
        Assert.Equal(AuthenticationStatus.Fail, foreign.Status);
        Assert.Equal("example", foreign.PolicyDomain);
    }

    [Fact]
    public async Task EvaluateAsync_SubdomainWithoutAnyRecordAbove_IsItsOwnOrganization()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.shop.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject");

        var result = await Evaluate(zone, "shop.example.com", Spf(AuthenticationStatus.Pass, "example.com"), []);

        Assert.Equal("shop.example.com", result.OrganizationalDomain);
        Assert.Equal(AuthenticationStatus.Fail, result.Status);
    }

    [Fact]
    public async Task EvaluateAsync_NoRecordAnywhere_GivesNone()
    {
        var result = await Evaluate(new InMemoryDnsZone(), "example.com", NoSpf, []);

        Assert.Equal(AuthenticationStatus.None, result.Status);
        Assert.Null(result.Policy);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; junk; foo=bar; adkim=x; pct=50", DmarcPolicy.Reject)]
    [InlineData("v=DMARC1; p=bogus", DmarcPolicy.None)]
    [InlineData("v=DMARC1", DmarcPolicy.None)]
    [InlineData("v = DMARC1 ; p = Quarantine", DmarcPolicy.Quarantine)]
    public async Task EvaluateAsync_RecordWithJunkTags_IgnoresWhatItCannotRead(string record, DmarcPolicy policy)
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, record);

        var result = await Evaluate(zone, "example.com", NoSpf, []);

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.Equal(policy, result.Policy);
    }

    [Theory]
    [InlineData("p=reject; v=DMARC1")]
    [InlineData("v=DMARC2; p=reject")]
    [InlineData("v=spf1 -all")]
    public async Task EvaluateAsync_NotADmarcRecord_IsIgnored(string record)
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, record);

        Assert.Equal(AuthenticationStatus.None, (await Evaluate(zone, "example.com", NoSpf, [])).Status);
    }

    [Fact]
    public async Task EvaluateAsync_TwoRecordsAtOneName_NeitherApplies()
    {
        var zone = new InMemoryDnsZone()
            .Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject")
            .Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=none");

        Assert.Equal(AuthenticationStatus.None, (await Evaluate(zone, "example.com", NoSpf, [])).Status);
    }

    [Fact]
    public async Task EvaluateAsync_DnsTimesOut_GivesTempError()
    {
        var zone = new InMemoryDnsZone().AddTimeout("_dmarc.example.com");

        Assert.Equal(AuthenticationStatus.TempError, (await Evaluate(zone, "example.com", NoSpf, [])).Status);
    }

    [Fact]
    public async Task EvaluateAsync_TopLevelLookupFailsAfterTheRecordWasFound_IdenticalDomainStillPasses()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject").AddTimeout("_dmarc.com");

        var result = await Evaluate(zone, "example.com", Spf(AuthenticationStatus.Pass, "example.com"), []);

        Assert.Equal(AuthenticationStatus.Pass, result.Status);
        Assert.Null(result.OrganizationalDomain);
    }

    [Fact]
    public async Task EvaluateAsync_OrganizationalDomainUnknownAfterDnsFailure_RelaxedAlignmentGivesTempErrorNotFail()
    {
        // The record at a.example.com says nothing about psd; _dmarc.example.com times out. The organizational domain
        // could be a.example.com or example.com, so whether example.com aligns is unknown: temperror, never fail.
        var zone = new InMemoryDnsZone()
            .Add("_dmarc.a.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject")
            .AddTimeout("_dmarc.example.com");

        var result = await Evaluate(zone, "a.example.com", Spf(AuthenticationStatus.Pass, "example.com"), Dkim("example.com"));

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
        Assert.Equal(DmarcPolicy.None, result.Disposition);
        Assert.Contains("organizational domain", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_AlignedDkimPassWithUnsignedAppendedContent_DoesNotCount()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject");
        DkimSignatureResult[] dkim = [new(AuthenticationStatus.Pass, "example.com", "sel", "rsa-sha256", "l= leaves 120 bytes unsigned", UnsignedContent: true)];

        var result = await Evaluate(zone, "example.com", NoSpf, dkim);

        Assert.Equal(AuthenticationStatus.Fail, result.Status);
        Assert.Equal(DmarcPolicy.Reject, result.Disposition);
        Assert.Contains("unsigned appended content", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_BodyLengthSignatureCoveringTheWholeBody_Counts()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject");
        DkimSignatureResult[] dkim = [new(AuthenticationStatus.Pass, "example.com", "sel", "rsa-sha256", UnsignedContent: false)];

        Assert.Equal(AuthenticationStatus.Pass, (await Evaluate(zone, "example.com", NoSpf, dkim)).Status);
    }

    [Fact]
    public async Task EvaluateAsync_ResolverThrows_GivesTempError()
    {
        var result = await Evaluate(new DkimVerificationTests.ThrowingResolver(), "example.com", NoSpf, []);

        Assert.Equal(AuthenticationStatus.TempError, result.Status);
    }

    [Fact]
    public async Task EvaluateAsync_NoAlignedPassButDkimTempError_GivesTempErrorNotFail()
    {
        var zone = new InMemoryDnsZone().Add("_dmarc.example.com", DnsRecordType.Txt, "v=DMARC1; p=reject");
        DkimSignatureResult[] dkim = [new(AuthenticationStatus.TempError, "example.com", "sel", "rsa-sha256", "key lookup failed")];

        Assert.Equal(AuthenticationStatus.TempError, (await Evaluate(zone, "example.com", NoSpf, dkim)).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("a..example")]
    public async Task EvaluateAsync_NoUsableAuthorDomain_GivesPermError(string? domain)
    {
        Assert.Equal(AuthenticationStatus.PermError, (await Evaluate(new InMemoryDnsZone(), domain, NoSpf, [])).Status);
    }

    [Fact]
    public async Task EvaluateAsync_DeepDomain_WalkAsksAtMostEightNames()
    {
        var counting = new CountingResolver(new InMemoryDnsZone());

        await new DmarcEvaluator(counting).EvaluateAsync("a.b.c.d.e.f.g.h.i.j.example.com", NoSpf, [], default);

        var dmarcQueries = counting.Names.Where(n => n.StartsWith("_dmarc.", StringComparison.Ordinal)).ToArray();
        Assert.Equal(8, dmarcQueries.Length);
        Assert.Equal("_dmarc.a.b.c.d.e.f.g.h.i.j.example.com", dmarcQueries[0]);
        Assert.Equal("_dmarc.f.g.h.i.j.example.com", dmarcQueries[1]);
        Assert.Equal("_dmarc.com", dmarcQueries[^1]);
    }

    [Fact]
    public void WalkTargets_ShortDomain_RemovesOneLabelAtATime()
    {
        Assert.Equal(["mail.example.com", "example.com", "com"], DmarcEvaluator.WalkTargets("mail.example.com"));
    }

    private static ValueTask<DmarcResult> Evaluate(IDnsResolver zone, string? domain, SpfCheckResult spf, IReadOnlyList<DkimSignatureResult> dkim) =>
        new DmarcEvaluator(zone).EvaluateAsync(domain, spf, dkim, default);

    private static SpfCheckResult Spf(AuthenticationStatus status, string domain) => new(status, "mailfrom", domain);

    private static DkimSignatureResult[] Dkim(string domain) => [new(AuthenticationStatus.Pass, domain, "sel", "rsa-sha256")];

    private sealed class CountingResolver(IDnsResolver inner) : IDnsResolver
    {
        public List<string> Names { get; } = [];

        public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
        {
            lock (Names)
                Names.Add(name);
            return inner.QueryAsync(name, type, cancellationToken);
        }
    }
}
