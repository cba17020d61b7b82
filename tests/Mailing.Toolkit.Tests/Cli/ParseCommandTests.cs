using System.Text;
using System.Text.Json;
using Mailing.Toolkit.Cli;

namespace Mailing.Toolkit.Tests.Cli;

public sealed class ParseCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mailing-parse-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Run_OneFile_PrintsOneIndentedObject()
    {
        var file = Write("one.eml", "From: a@example.test\r\nSubject: Hello\r\n\r\nbody\r\n");

        var (code, stdout, _) = await Run("parse", file);

        Assert.Equal(MailingCli.Success, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("Hello", json.RootElement.GetProperty("subject").GetString());
        Assert.False(json.RootElement.TryGetProperty("file", out _));
    }

    [Fact]
    public async Task Run_SeveralFilesWithOneMissing_PrintsALinePerFileAndFailsAtTheEnd()
    {
        var first = Write("a.eml", "From: a@example.test\r\nSubject: A\r\n\r\nbody\r\n");
        var second = Write("b.eml", "From: b@example.test\r\nSubject: B\r\n\r\nbody\r\n");
        var missing = Path.Combine(folder, "missing.eml");

        var (code, stdout, stderr) = await Run("parse", first, missing, second);

        Assert.Equal(MailingCli.Failure, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Equal((first, "A"), (lines[0].GetProperty("file").GetString(), lines[0].GetProperty("subject").GetString()));
        Assert.Equal(missing, lines[1].GetProperty("file").GetString());
        Assert.Contains("file not found", lines[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("B", lines[2].GetProperty("subject").GetString());
        Assert.Contains("1 of 3", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MessageBreakingALimit_PrintsTheErrorLine()
    {
        var file = Write("huge.eml", "From: a@example.test\r\nSubject: " + new string('a', 100_000) + "\r\n\r\nbody\r\n");

        var (code, stdout, _) = await Run("parse", "--lines", file);

        Assert.Equal(MailingCli.Failure, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Contains("MaxHeaderFieldLength", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Dash_ReadsStandardInput()
    {
        var command = new ParseCommand(() => new MemoryStream(Encoding.ASCII.GetBytes("From: a@example.test\r\nSubject: Piped\r\n\r\nbody\r\n")));
        var stdout = new StringWriter();

        var code = await command.RunAsync(CommandLine.Parse(["-"], command.Options, acceptsArguments: true), stdout, new StringWriter(), CancellationToken.None);

        Assert.Equal(MailingCli.Success, code);
        using var json = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("Piped", json.RootElement.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Run_NoFile_IsAUsageError()
    {
        var (code, _, stderr) = await Run("parse");

        Assert.Equal(MailingCli.UsageError, code);
        Assert.Contains("at least one message file", stderr, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await MailingCli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
