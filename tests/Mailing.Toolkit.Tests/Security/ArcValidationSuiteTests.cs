using System.Text;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using MimeKit;
using System.Text.Json;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// The ARC validation suite (ValiMail arc_test_suite, in TestData/auth/arc, read from its JSON form: see the README there): every message must give the chain
/// validation result (cv) the suite expects. The three cases whose expected cv is empty in the suite itself
/// (<c>cv_fail_i1_as_invalid</c> among them) are not scored: the suite gives nothing to compare with.
/// </summary>
public sealed class ArcValidationSuiteTests
{
    private static readonly Lazy<IReadOnlyList<SuiteCase>> Cases = new(Load);

    /// <summary>
    /// Cases MimeKit's <c>ArcVerifier</c> gets wrong, checked against python3-dkim's <c>arc_verify</c>, which gives the
    /// suite's answer. Listed here so a MimeKit fix shows up as this test failing.
    /// </summary>
    private static readonly Dictionary<string, string> KnownMimeKitDivergences = new(StringComparer.Ordinal)
    {
        ["ams_fields_c_na"] = "an ARC-Message-Signature without c= must default to simple/simple; MimeKit fails it (python3-dkim: pass)",
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var suiteCase in Cases.Value.Where(c => c.Expected.Length > 0 && !KnownMimeKitDivergences.ContainsKey(c.Name)))
            data.Add(suiteCase.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task VerifyAsync_SuiteCase_GivesExpectedChainResult(string name)
    {
        var suiteCase = Cases.Value.Single(c => c.Name == name);
        var result = await Verify(suiteCase);

        Assert.Equal(suiteCase.Expected, AuthenticationResultsHeader.Lower(result.Status));
    }

    [Fact]
    public async Task VerifyAsync_WholeSuite_AllScoredCasesPass()
    {
        var scored = Cases.Value.Where(c => c.Expected.Length > 0).ToArray();
        var failures = new List<string>();
        foreach (var suiteCase in scored)
        {
            var result = await Verify(suiteCase);
            if (AuthenticationResultsHeader.Lower(result.Status) != suiteCase.Expected)
                failures.Add($"{suiteCase.Name}: expected {suiteCase.Expected}, got {AuthenticationResultsHeader.Lower(result.Status)} ({result.Reason})");
        }

        Assert.Equal(168, scored.Length);
        Assert.True(failures.Count == KnownMimeKitDivergences.Count && KnownMimeKitDivergences.Keys.All(k => failures.Any(f => f.StartsWith(k + ":", StringComparison.Ordinal))),
            $"{scored.Length - failures.Count} of {scored.Length} pass (known MimeKit divergences: {string.Join(", ", KnownMimeKitDivergences.Keys)}):\n" + string.Join('\n', failures));
    }

    private static ValueTask<ArcChainResult> Verify(SuiteCase suiteCase)
    {
        // cv_empty is an empty file, which MimeKit cannot load as a message: an empty message stands in for it.
        var message = suiteCase.Message.Length == 0 ? new MimeMessage() : MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(suiteCase.Message)));
        return new ArcChainVerifier(new DnsDkimKeyLocator(suiteCase.Zone)).VerifyAsync(message, default);
    }

    private static List<SuiteCase> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "auth", "arc", "arc-draft-validation-tests.json");
        using var suite = JsonDocument.Parse(File.ReadAllText(path));
        var cases = new List<SuiteCase>();
        foreach (var document in suite.RootElement.EnumerateArray())
        {
            var zone = new InMemoryDnsZone();
            foreach (var record in document.GetProperty("txt-records").EnumerateObject())
                zone.Add(record.Name, DnsRecordType.Txt, record.Value.GetString()!);
            foreach (var test in document.GetProperty("tests").EnumerateObject())
            {
                var message = test.Value.GetProperty("message").GetString()!;
                var expected = test.Value.GetProperty("cv").GetString()!.Trim().ToLowerInvariant();
                cases.Add(new SuiteCase(test.Name, message.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal), expected, zone));
            }
        }

        return cases;
    }

    private sealed record SuiteCase(string Name, string Message, string Expected, InMemoryDnsZone Zone);
}
