using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using MimeKit;

namespace Mailing.Toolkit.IntegrationTests.Security;

/// <summary><c>mailing check --rspamd URL</c> run as a user runs it (the built CLI), against a real rspamd.</summary>
[Collection(RspamdFixture.Collection)]
public sealed class CheckCommandRspamdTests(RspamdFixture rspamd)
{
    [SkippableFact]
    public async Task Check_GtubeWithRspamd_PrintsRejectWithTheGtubeSymbol()
    {
        rspamd.EnsureAvailable();

        var spam = await CheckCli.SpamAsync(SpamMessages.GtubeMessage(), "--rspamd", rspamd.Url.ToString());

        Assert.Equal("reject", spam.GetProperty("action").GetString());
        Assert.Contains(spam.GetProperty("symbols").EnumerateArray(), s => s.GetString() == "GTUBE");
    }

    [SkippableFact]
    public async Task Check_HamWithRspamd_PrintsNoAction()
    {
        rspamd.EnsureAvailable();

        var spam = await CheckCli.SpamAsync(SpamMessages.HamMessage(), "--rspamd", rspamd.Url.ToString());

        Assert.True(spam.GetProperty("action").GetString() == "no action", spam.ToString());
        Assert.True(spam.GetProperty("score").GetDouble() < spam.GetProperty("threshold").GetDouble());
    }
}

/// <summary><c>mailing check --spamd HOST:PORT</c> run as a user runs it, against a real SpamAssassin spamd.</summary>
[Collection(SpamdFixture.Collection)]
public sealed class CheckCommandSpamdTests(SpamdFixture spamd)
{
    [SkippableFact]
    public async Task Check_GtubeWithSpamd_PrintsRejectWithTheGtubeRule()
    {
        spamd.EnsureAvailable();

        var spam = await CheckCli.SpamAsync(SpamMessages.GtubeMessage(), "--spamd", Address(spamd));

        Assert.Equal("reject", spam.GetProperty("action").GetString());
        Assert.Equal(5.0, spam.GetProperty("threshold").GetDouble());
        Assert.Contains(spam.GetProperty("symbols").EnumerateArray(), s => s.GetString() == "GTUBE");
    }

    [SkippableFact]
    public async Task Check_HamWithSpamd_PrintsNoAction()
    {
        spamd.EnsureAvailable();

        var spam = await CheckCli.SpamAsync(SpamMessages.HamMessage(), "--spamd", Address(spamd));

        Assert.Equal("no action", spam.GetProperty("action").GetString());
    }

    private static string Address(SpamdFixture spamd) => spamd.Host + ":" + spamd.Port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Runs the built <c>mailing</c> CLI on a message written to a file, offline DNS, JSON out.</summary>
internal static class CheckCli
{
    public static async Task<JsonElement> SpamAsync(MimeMessage message, params string[] spamArguments)
    {
        var directory = Directory.CreateTempSubdirectory("mailing-check-");
        try
        {
            var file = Path.Combine(directory.FullName, "message.eml");
            await message.WriteToAsync(file);
            var zone = Path.Combine(directory.FullName, "zone.json");
            await File.WriteAllTextAsync(zone, "{}");
            var (code, output, error) = await RunAsync(["check", file, "--dns", zone, "--ip", "192.0.2.10", "--helo", "mail.example.com", "--mail-from", "alice@example.com", "--client-name", "mail.example.com", .. spamArguments, "--json"]);
            Assert.True(code == 0, $"exit {code}: {error}");
            using var json = JsonDocument.Parse(output);
            return json.RootElement.GetProperty("spam").Clone();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] arguments)
    {
        var separator = Path.DirectorySeparatorChar;
        var dll = Path.Combine(
            AppContext.BaseDirectory.Replace($"tests{separator}Mailing.Toolkit.IntegrationTests", $"src{separator}Mailing.Toolkit.Cli", StringComparison.Ordinal),
            "Mailing.Toolkit.Cli.dll");
        Assert.True(File.Exists(dll), $"The CLI is not built: {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output, await error);
    }
}
