using System.Diagnostics;
using System.Globalization;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.IntegrationTests.Sieve;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Mailboxes;

/// <summary>
/// samples/Onboarding run as a user runs it (its built executable, configured through environment variables) against
/// the fixture's Dovecot: onboard, list, offboard.
/// </summary>
[Collection(DovecotFixture.Collection)]
public sealed class OnboardingSampleTests(DovecotFixture dovecot)
{
    [SkippableFact]
    public async Task Sample_OnboardsWithFiltersAndVacation_ThenOffboardsEverything()
    {
        dovecot.EnsureAccountsAvailable();
        dovecot.EnsureSieveAvailable();
        var address = SieveTestHost.NewAccount(dovecot, "sample");

        var onboard = await RunAsync("onboard", address, "--quota-mb", "25", "--away-until", "2027-01-04");
        var password = onboard.Output.Split("initial password: ")[1].Split('\n')[0].Trim();
        var list = await RunAsync("list");
        await using (var sieve = SieveTestHost.Build(dovecot, address, password))
        {
            var installed = await sieve.GetRequiredService<Mailing.Toolkit.Sieve.IMailboxFilters>().GetAsync();
            Assert.Equal(["spam"], installed.Rules);
            Assert.True(installed.HasVacation);
        }

        var offboard = await RunAsync("offboard", address);

        Assert.Equal(0, onboard.ExitCode);
        Assert.Contains($"Created {address} (quota 25 MB)", onboard.Output, StringComparison.Ordinal);
        Assert.Contains("Filters: spam and an out-of-office reply.", onboard.Output, StringComparison.Ordinal);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(address)}\s+quota 25 MB", list.Output);
        Assert.Equal(0, offboard.ExitCode);
        using var connection = new SqliteConnection($"Data Source={dovecot.AccountsDatabase}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM mail_users WHERE username = $address";
        command.Parameters.AddWithValue("$address", address);
        Assert.Equal(0L, (long)command.ExecuteScalar()!);
    }

    [SkippableFact]
    public async Task Sample_WithoutACommand_PrintsUsageAndExitsWith2()
    {
        dovecot.EnsureAccountsAvailable();

        var result = await RunAsync();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: onboard ADDRESS", result.Error, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var separator = Path.DirectorySeparatorChar;
        var dll = Path.Combine(
            AppContext.BaseDirectory.Replace($"tests{separator}Mailing.Toolkit.IntegrationTests", $"samples{separator}Onboarding", StringComparison.Ordinal),
            "Onboarding.dll");
        Assert.True(File.Exists(dll), $"The Onboarding sample is not built: {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["AccountsDatabase"] = dovecot.AccountsDatabase,
            ["Mailing__Accounts__DoveadmUrl"] = dovecot.DoveadmUrl.ToString(),
            ["Mailing__Accounts__DoveadmApiKey"] = dovecot.DoveadmApiKey,
            ["Mailing__Accounts__PasswordHashRounds"] = "20000",
            ["Mailing__ManageSieve__Host"] = dovecot.Host,
            ["Mailing__ManageSieve__Port"] = dovecot.SievePort.ToString(CultureInfo.InvariantCulture),
            ["Mailing__ManageSieve__UserName"] = DovecotFixture.MasterUser,
            ["Mailing__ManageSieve__Password"] = DovecotFixture.MasterPassword,
            // The fixture's certificate is self-signed; a real deployment leaves validation on.
            ["Mailing__ManageSieve__DangerousAcceptAnyServerCertificate"] = "true",
            ["Mailing__ManageSieve__CheckCertificateRevocation"] = "false",
        })
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await error);
    }
}
