using Mailing.Toolkit.Cli;
using MimeKit;

namespace Mailing.Toolkit.Tests.Templating;

/// <summary>The <c>mailing render</c> command, run in-process through its entry point.</summary>
public sealed class MailingCliRenderTests : IDisposable
{
    private readonly DirectoryInfo temp = Directory.CreateTempSubdirectory("mailing-cli-");

    public void Dispose() => temp.Delete(recursive: true);

    private string Templates => TemplateTestData.Example;

    private string WelcomeModel => TemplateTestData.ModelPath("welcome.json");

    [Fact]
    public async Task Render_ToEml_WritesSubjectHtmlAndText()
    {
        var output = Path.Combine(temp.FullName, "out", "welcome.eml");

        var (code, stdout, stderr) = await Run("render", "--templates", Templates, "--name", "welcome", "--model", WelcomeModel, "--culture", "pl-PL", "--out", output, "--to", "alice@example.test", "--from", "Shop <shop@example.test>");

        Assert.Equal((0, string.Empty), (code, stderr));
        Assert.Equal($"Rendered template 'welcome' (culture 'pl-PL') to {output}: \"Witamy w Example Shop, Alice Example!\"\n", stdout);
        using var message = await MimeMessage.LoadAsync(output);
        Assert.Equal("Witamy w Example Shop, Alice Example!", message.Subject);
        Assert.Equal("alice@example.test", Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("shop@example.test", Assert.Single(message.From.Mailboxes).Address);
        Assert.Contains("Witaj, Alice Example!</h1>", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Witaj, Alice Example!", message.TextBody, StringComparison.Ordinal);
        Assert.IsType<MultipartAlternative>(message.Body);
    }

    [Fact]
    public async Task Render_ToHtml_WritesTheHtmlBody()
    {
        var output = Path.Combine(temp.FullName, "welcome.html");

        var (code, _, stderr) = await Run("render", "--templates", Templates, "--name", "welcome", "--model", WelcomeModel, "--culture", "en-US", "--out", output);

        Assert.Equal((0, string.Empty), (code, stderr));
        Assert.Equal(TemplateTestData.Expected("welcome.en-US.html"), await File.ReadAllTextAsync(output));
    }

    [Fact]
    public async Task Render_ToTxt_WritesTheTextBody()
    {
        var output = Path.Combine(temp.FullName, "welcome.txt");

        var (code, _, stderr) = await Run("render", "--templates", Templates, "--name", "welcome", "--model", WelcomeModel, "--culture", "pl-PL", "--out", output);

        Assert.Equal((0, string.Empty), (code, stderr));
        Assert.Equal(TemplateTestData.Expected("welcome.pl-PL.txt"), await File.ReadAllTextAsync(output));
    }

    [Fact]
    public async Task Render_WithoutOut_WritesTheEmailToStandardOutput()
    {
        var (code, stdout, stderr) = await Run("render", "--templates", Templates, "--name", "password-reset", "--model", TemplateTestData.ModelPath("password-reset.json"));

        Assert.Equal((0, string.Empty), (code, stderr));
        using var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stdout)));
        Assert.Equal("Reset your Example Shop password", message.Subject);
        Assert.StartsWith("Hello Alice Example,", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_FormatText_WritesTheTextToStandardOutput()
    {
        var (code, stdout, _) = await Run("render", "--templates", Templates, "--name", "password-reset", "--model", TemplateTestData.ModelPath("password-reset.json"), "--format", "text");

        Assert.Equal(0, code);
        Assert.StartsWith("Hello Alice Example,\n\nsomeone asked", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_FromATempFolder_RendersThatFolder()
    {
        var templates = Directory.CreateDirectory(Path.Combine(temp.FullName, "templates"));
        Directory.CreateDirectory(Path.Combine(templates.FullName, "hello"));
        await File.WriteAllTextAsync(Path.Combine(templates.FullName, "hello", "subject.scriban"), "Hi {{ name }}");
        await File.WriteAllTextAsync(Path.Combine(templates.FullName, "hello", "html.scriban"), "<p>Hi {{ name }}, {{ day | format \"d\" }}</p>");
        var model = Path.Combine(temp.FullName, "model.json");
        await File.WriteAllTextAsync(model, "{ \"name\": \"Ann\", \"day\": \"2026-03-01\" }");

        var (code, stdout, _) = await Run("render", "--templates", templates.FullName, "--name", "hello", "--model", model, "--culture", "pl-PL", "--format", "html");

        Assert.Equal((0, "<p>Hi Ann, 1.03.2026</p>\n"), (code, stdout));
    }

    [Fact]
    public async Task Render_MissingTemplate_FailsListingWhereItLooked()
    {
        var (code, stdout, stderr) = await Run("render", "--templates", Templates, "--name", "wellcome", "--model", WelcomeModel, "--culture", "pl-PL");

        Assert.Equal((1, string.Empty), (code, stdout));
        Assert.StartsWith($"error: Template 'wellcome' was not found for culture 'pl-PL' in folder '{Templates}': looked for wellcome/subject.pl-PL.scriban, ", stderr, StringComparison.Ordinal);
        Assert.Contains("wellcome/html.scriban", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MissingVariable_FailsNamingItAndWhere()
    {
        var model = Path.Combine(temp.FullName, "partial.json");
        await File.WriteAllTextAsync(model, "{ \"customer_name\": \"Ann\" }");

        var (code, _, stderr) = await Run("render", "--templates", Templates, "--name", "welcome", "--model", model);

        Assert.Equal(1, code);
        Assert.Equal("error: Template 'welcome' (culture 'invariant'): welcome/html.scriban(4,70): The variable or function `order` was not found\n", stderr);
    }

    [Theory]
    [InlineData("missing.json", null, "error: the model file '{0}' does not exist.")]
    [InlineData("bad.json", "{ \"a\": ", "error: the model file '{0}' is not valid JSON: ")]
    [InlineData("array.json", "[1, 2]", "error: the model file '{0}' must hold a JSON object, not Array.")]
    public async Task Render_BadModelFile_FailsNamingTheFile(string file, string? content, string expected)
    {
        var model = Path.Combine(temp.FullName, file);
        if (content is not null)
            await File.WriteAllTextAsync(model, content);

        var (code, _, stderr) = await Run("render", "--templates", Templates, "--name", "welcome", "--model", model);

        Assert.Equal(1, code);
        Assert.StartsWith(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, model), stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MissingTemplateFolder_FailsNamingIt()
    {
        var missing = Path.Combine(temp.FullName, "nope");

        var (code, _, stderr) = await Run("render", "--templates", missing, "--name", "welcome", "--model", WelcomeModel);

        Assert.Equal((1, $"error: the template folder '{missing}' does not exist.\n"), (code, stderr));
    }

    [Theory]
    [InlineData(new[] { "render", "--name", "welcome", "--model", "m.json" }, "error: option '--templates' is required.")]
    [InlineData(new[] { "render", "--templates", "t", "--name" }, "error: option '--name' needs a value.")]
    [InlineData(new[] { "render", "--templates", "t", "--bogus", "x" }, "error: unknown option '--bogus'.")]
    [InlineData(new[] { "render", "--templates", "t", "--name", "w", "--model", "m", "--out", "x.pdf" }, "error: --out 'x.pdf': the file name must end in .eml, .html or .txt.")]
    [InlineData(new[] { "render", "--templates", "t", "--name", "w", "--model", "m", "--culture", "xx-NOPE" }, "error: --culture 'xx-NOPE' is not a known culture")]
    [InlineData(new[] { "render", "--templates", "t", "--name", "w", "--model", "m", "--format", "pdf" }, "error: --format must be eml, html or text (was 'pdf').")]
    [InlineData(new[] { "frobnicate" }, "error: unknown command 'frobnicate'.")]
    public async Task Run_UsageMistake_ExitsWithTwoAndSaysWhat(string[] args, string expected)
    {
        var (code, _, stderr) = await Run(args);

        Assert.Equal(2, code);
        Assert.StartsWith(expected, stderr, StringComparison.Ordinal);
        Assert.Contains("Usage: mailing", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_InvalidTemplateName_IsAUsageMistake()
    {
        var (code, _, stderr) = await Run("render", "--templates", Templates, "--name", "../secret", "--model", WelcomeModel);

        Assert.Equal(2, code);
        Assert.StartsWith("error: --name: The template name '../secret' may not contain '..'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Help_ListsTheCommandsAndRenderOptions()
    {
        var (code, stdout, _) = await Run("--help");
        var (renderCode, renderHelp, _) = await Run("render", "--help");

        Assert.Equal((0, 0), (code, renderCode));
        Assert.Contains("render     render an email from Scriban templates", stdout, StringComparison.Ordinal);
        Assert.Contains("--templates DIR", renderHelp, StringComparison.Ordinal);
        Assert.Contains("render", MailingCli.Commands.Keys);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var code = await MailingCli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
