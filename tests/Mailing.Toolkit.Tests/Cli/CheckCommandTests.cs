using System.Text.Json;
using Mailing.Toolkit.Cli;

namespace Mailing.Toolkit.Tests.Cli;

public sealed class CheckCommandTests : IDisposable
{
    private static readonly string DkimData = Path.Combine(AppContext.BaseDirectory, "TestData", "auth", "dkim");
    private readonly string zoneFile = Path.Combine(Path.GetTempPath(), $"mailing-zone-{Guid.NewGuid():N}.json");

    public CheckCommandTests()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(DkimData, "expected.json")));
        var key = expected.RootElement.GetProperty("dns_extra").GetProperty("20120113._domainkey.gmail.com").GetString();
        File.WriteAllText(zoneFile, JsonSerializer.Serialize(new Dictionary<string, Dictionary<string, string[]>>
        {
            ["20120113._domainkey.gmail.com"] = new() { ["TXT"] = [key!] },
            ["_dmarc.gmail.com"] = new() { ["TXT"] = ["v=DMARC1; p=none; sp=quarantine"] },
            ["gmail.com"] = new() { ["TXT"] = ["v=spf1 ip4:209.85.128.0/17 ~all"] },
        }));
    }

    public void Dispose() => File.Delete(zoneFile);

    [Fact]
    public async Task Check_JsonWithZone_PrintsEveryResultInLowerCase()
    {
        var (code, stdout, _) = await Run("check", Path.Combine(DkimData, "gmail.msg"), "--dns", zoneFile, "--ip", "209.85.220.41", "--mail-from", "jeff@gmail.com", "--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var dkim = Assert.Single(root.GetProperty("dkim").EnumerateArray());
        Assert.Equal("pass", dkim.GetProperty("result").GetString());
        Assert.Equal("gmail.com", dkim.GetProperty("domain").GetString());
        Assert.Equal("20120113", dkim.GetProperty("selector").GetString());
        Assert.Equal("pass", root.GetProperty("spf").GetProperty("result").GetString());
        Assert.Equal("gmail.com", root.GetProperty("spf").GetProperty("domain").GetString());
        Assert.Equal("none", root.GetProperty("arc").GetProperty("result").GetString());
        Assert.Equal("pass", root.GetProperty("dmarc").GetProperty("result").GetString());
        Assert.Equal("none", root.GetProperty("dmarc").GetProperty("policy").GetString());
        Assert.False(root.TryGetProperty("spam", out _));
    }

    [Fact]
    public async Task Check_ClientOutsideTheRecord_ReportsSoftFailButExitsZero()
    {
        var (code, stdout, _) = await Run("check", Path.Combine(DkimData, "gmail.msg"), "--dns", zoneFile, "--ip", "192.0.2.1", "--mail-from", "jeff@gmail.com");

        Assert.Equal(0, code);
        Assert.Contains("spf:   softfail", stdout, StringComparison.Ordinal);
        Assert.Contains("Authentication-Results: mailing-check; spf=softfail", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ExplanationWithTerminalEscapes_IsNotPrinted()
    {
        var directory = Directory.CreateTempSubdirectory("mailing-check-");
        try
        {
            var zone = Path.Combine(directory.FullName, "zone.json");
            await File.WriteAllTextAsync(zone, """
                {"gmail.com": {"TXT": ["v=spf1 -all exp=exp.gmail.com"]}, "exp.gmail.com": {"TXT": ["rejected \u001b[2J\u001b[31mpay here"]}}
                """);

            var (code, stdout, _) = await Run("check", Path.Combine(DkimData, "gmail.msg"), "--dns", zone, "--ip", "192.0.2.1", "--mail-from", "jeff@gmail.com");

            Assert.Equal(0, code);
            Assert.Contains("spf:   fail", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("pay here", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', stdout);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "check", "msg.eml", "--ip", "not-an-ip" }, "not an IP address")]
    [InlineData(new[] { "check", "msg.eml", "--helo", "x.example" }, "need --ip")]
    [InlineData(new[] { "check", "msg.eml", "--rspamd", "http://a", "--spamd", "a:1" }, "not both")]
    [InlineData(new[] { "check", "msg.eml", "--spamd", "nohost" }, "HOST:PORT")]
    [InlineData(new[] { "check", "msg.eml", "--rspamd", "ftp://x" }, "http(s) URL")]
    [InlineData(new[] { "check" }, "exactly one message file")]
    public async Task Check_UsageMistake_ExitsTwoNamingIt(string[] args, string message)
    {
        var (code, _, stderr) = await Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BadZoneFile_ExitsOneNamingTheEntry()
    {
        await File.WriteAllTextAsync(zoneFile, """{"example.com": {"SRV": ["x"]}}""");

        var (code, _, stderr) = await Run("check", Path.Combine(DkimData, "gmail.msg"), "--dns", zoneFile);

        Assert.Equal(1, code);
        Assert.Contains("unknown record type 'SRV'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingMessage_ExitsOne()
    {
        var (code, _, stderr) = await Run("check", Path.Combine(DkimData, "no-such.msg"), "--dns", zoneFile);

        Assert.Equal(1, code);
        Assert.Contains("file not found", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\u001b[31mred\rb\tc\n", false, "a [31mred b c ")]
    [InlineData("line one\nline\u0007 two", true, "line one\nline  two")]
    public void Printable_ControlCharacters_BecomeSpaces(string text, bool keepLineBreaks, string expected)
    {
        Assert.Equal(expected, TerminalText.Printable(text, keepLineBreaks));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await MailingCli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
