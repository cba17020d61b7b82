using System.Net;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Xunit.Abstractions;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>All 203 tests of the RFC 7208 suite, through <see cref="SpfEvaluator.CheckHostAsync(IPAddress, string, string, string, CancellationToken)"/>.</summary>
public sealed class SpfConformanceTests(ITestOutputHelper output)
{
    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var test in SpfTestSuite.Instance.Cases)
            data.Add(test.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task CheckHost_SuiteCase_GivesAnAllowedResult(string id)
    {
        var test = SpfTestSuite.Instance.Find(id);
        var (result, problem) = await RunAsync(test);
        Assert.True(problem is null, $"{id} (spec {test.Spec}): {problem}; explanation '{result.Explanation}'");
    }

    [Fact]
    public async Task CheckHost_WholeSuite_AllCasesPass()
    {
        var cases = SpfTestSuite.Instance.Cases;
        var passed = 0;
        var failures = new List<string>();
        foreach (var test in cases)
        {
            var (_, problem) = await RunAsync(test);
            if (problem is null)
                passed++;
            else
                failures.Add($"{test.Id}: {problem}");
        }

        output.WriteLine($"RFC 7208 suite: {passed} of {cases.Count} passed");
        foreach (var failure in failures)
            output.WriteLine(failure);
        Assert.Equal(203, cases.Count);
        Assert.Equal(cases.Count, cases.Select(c => c.Id).Distinct().Count());
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(203, passed);
    }

    /// <summary>Runs one case as the suite's driver does: the MAIL FROM identity, postmaster@HELO for an empty one.</summary>
    private static async Task<(SpfCheckResult Result, string? Problem)> RunAsync(SpfSuiteCase test)
    {
        var evaluator = new SpfEvaluator(test.Resolver);
        var address = test.Address;
        var (sender, domain) = SpfEvaluator.Identify(test.MailFrom, test.Helo);
        var result = await evaluator.CheckHostAsync(address, domain, sender, test.Helo);
        if (!test.Results.Contains(result.Status))
            return (result, $"gave {result.Status}, expected {string.Join(" or ", test.Results)} ({result.Explanation})");
        if (test.Explanation is { } expected)
        {
            // "DEFAULT" is the driver's name for the default explanation: no exp= text was used.
            var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (expected == "DEFAULT")
                expected = SpfEvaluator.DefaultExplanation(result.Domain!, normalized);
            if (expected != result.Explanation)
                return (result, $"explanation '{result.Explanation}', expected '{expected}'");
        }

        return (result, null);
    }
}
