using System.Globalization;
using System.Text.Json;
using Mailing.Toolkit.Scriban;

namespace Mailing.Toolkit.Tests.Templating;

public sealed class ScribanTemplateRendererTests
{
    [Fact]
    public async Task RenderAsync_Welcome_WrapsTheTemplateInTheLayoutWithBothPartials()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English);

        Assert.Equal("Welcome to Example Shop, Alice Example!", mail.Subject);
        var html = mail.HtmlBody!;
        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"en-US\">", html, StringComparison.Ordinal);
        Assert.Contains("<title>Welcome to Example Shop</title>", html, StringComparison.Ordinal); // set by the template, read by the layout
        Assert.Contains("Your account is ready and your first order is on its way.</div>", html, StringComparison.Ordinal);
        Assert.Contains(">Welcome, Alice Example!</h1>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://shop.example/account\"", html, StringComparison.Ordinal); // button partial, named arguments
        Assert.Contains(">Open my account</a>", html, StringComparison.Ordinal);
        Assert.Contains("You receive this email because you have an account at Example Shop.", html, StringComparison.Ordinal); // footer partial
        Assert.Equal(20, CountOf(html, "<tr><td style=\"border-bottom: 1px solid #eeeeee;"));
        Assert.Equal(1, CountOf(html, "<tr class=\"total\">"));
        Assert.Contains("placed on Sunday, March 1, 2026.", html, StringComparison.Ordinal);
        Assert.Contains("€1,391.00", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_PolishPoland_FallsBackToPolishThenDefaultFilesAndFormatsForTheCulture()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.PolishPoland);

        // No pl-PL files: welcome/subject.pl, welcome/html.pl and _partials/footer.pl are used, the layout and button are the default ones.
        Assert.Equal("Witamy w Example Shop, Alice Example!", mail.Subject);
        var html = mail.HtmlBody!;
        Assert.Contains("<html lang=\"pl-PL\">", html, StringComparison.Ordinal);
        Assert.Contains(">Witaj, Alice Example!</h1>", html, StringComparison.Ordinal);
        Assert.Contains("Otrzymujesz tę wiadomość, ponieważ masz konto w Example Shop.", html, StringComparison.Ordinal);
        Assert.Contains(">Otwórz moje konto</a>", html, StringComparison.Ordinal);
        Assert.Contains("złożone niedziela, 1 marca 2026.", html, StringComparison.Ordinal);
        Assert.Contains("1\u00a0391,00 €", html, StringComparison.Ordinal);
        Assert.Contains("Example Shop</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_CultureWithoutVariants_UsesTheDefaultFilesWithThatCulturesFormatting()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), CultureInfo.GetCultureInfo("de-DE"));

        Assert.Equal("Welcome to Example Shop, Alice Example!", mail.Subject);
        Assert.Contains("placed on Sonntag, 1. März 2026.", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("1.391,00 €", mail.HtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_MostSpecificCultureFileWins()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["hello/subject.scriban"] = "Hello",
            ["hello/html.scriban"] = "<p>default</p>",
            ["hello/html.pl.scriban"] = "<p>pl</p>",
            ["hello/html.pl-PL.scriban"] = "<p>pl-PL</p>",
        });

        Assert.Equal("<p>pl-PL</p>", (await renderer.RenderAsync("hello", null, CultureInfo.GetCultureInfo("pl-PL"))).HtmlBody);
        Assert.Equal("<p>pl</p>", (await renderer.RenderAsync("hello", null, CultureInfo.GetCultureInfo("pl"))).HtmlBody);
        Assert.Equal("<p>default</p>", (await renderer.RenderAsync("hello", null, CultureInfo.GetCultureInfo("en-GB"))).HtmlBody);
        Assert.Equal("<p>default</p>", (await renderer.RenderAsync("hello", null, CultureInfo.InvariantCulture)).HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_NoCulture_UsesTheCurrentUiCulture()
    {
        using var renderer = TemplateTestData.Renderer();
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = TemplateTestData.PolishPoland;
        try
        {
            var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome());
            Assert.StartsWith("Witamy", mail.Subject, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public async Task RenderAsync_TextTemplate_UsesTheTextLayoutAndIsNotEscaped()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync(
            "password-reset",
            new { CustomerName = "Bob & <Co>", ResetUrl = "https://shop.example/reset?a=1&b=2", ValidHours = 2 },
            TemplateTestData.English);

        Assert.Equal("Reset your Example Shop password", mail.Subject);
        Assert.Equal(
            "Hello Bob & <Co>,\n\nsomeone asked to reset the password of your account. The link works for 2 hours:\nhttps://shop.example/reset?a=1&b=2\n\nIf it was not you, ignore this email: your password stays as it is.\n\n\n--\nExample Shop · https://shop.example\n",
            mail.TextBody);
        Assert.Contains("Hello Bob &amp; &lt;Co&gt;,", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("href=\"https://shop.example/reset?a=1&amp;b=2\"", mail.HtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_NoTextTemplate_GeneratesTheTextFromTheHtml()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English);

        Assert.NotNull(mail.TextBody);
        Assert.Contains("Welcome, Alice Example!", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<", mail.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_GenerateTextBodyOff_LeavesTheTextEmpty()
    {
        using var renderer = TemplateTestData.Renderer(o => o.GenerateTextBody = false);

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English);

        Assert.NotNull(mail.HtmlBody);
        Assert.Null(mail.TextBody);
    }

    [Fact]
    public async Task RenderAsync_TextOnlyTemplate_HasNoHtml()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["note/subject.scriban"] = "Note",
            ["note/text.scriban"] = "Just {{ what }}.",
        });

        var mail = await renderer.RenderAsync("note", new { What = "text" });

        Assert.Null(mail.HtmlBody);
        Assert.Equal("Just text.", mail.TextBody);
    }

    [Fact]
    public async Task RenderAsync_SubjectOnSeveralLines_BecomesOneLine()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["s/subject.scriban"] = "{{ if vip }}\n  VIP:\n{{ end }}\r\n  Your\torder {{ number }}\n",
            ["s/html.scriban"] = "<p>x</p>",
        });

        var mail = await renderer.RenderAsync("s", new { Vip = true, Number = 7 });

        Assert.Equal("VIP: Your order 7", mail.Subject);
    }

    [Fact]
    public async Task RenderAsync_LayoutChosenByTheTemplate_AndNone()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["_layouts/default.html.scriban"] = "<main>{{ content }}</main>",
            ["_layouts/plain.html.scriban"] = "<div class=\"plain\">{{ content }}</div>",
            ["a/subject.scriban"] = "a",
            ["a/html.scriban"] = "<p>a</p>",
            ["b/subject.scriban"] = "b",
            ["b/html.scriban"] = "{{ layout = \"plain\" }}<p>b</p>",
            ["c/subject.scriban"] = "c",
            ["c/html.scriban"] = "{{ layout = null }}<p>c</p>",
        });

        Assert.Equal("<main><p>a</p></main>", (await renderer.RenderAsync("a", null)).HtmlBody);
        Assert.Equal("<div class=\"plain\"><p>b</p></div>", (await renderer.RenderAsync("b", null)).HtmlBody);
        Assert.Equal("<p>c</p>", (await renderer.RenderAsync("c", null)).HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_NamedLayoutMissing_ListsWhereItWasLookedFor()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["b/subject.scriban"] = "b",
            ["b/html.scriban"] = "{{ layout = 'fancy' }}<p>b</p>",
        });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("b", null, CultureInfo.GetCultureInfo("pl-PL")).AsTask());

        Assert.Equal(MailTemplateError.NotFound, e.Error);
        Assert.Equal(["_layouts/fancy.html.pl-PL.scriban", "_layouts/fancy.html.pl.scriban", "_layouts/fancy.html.scriban"], e.SearchedPaths);
        Assert.Contains("the layout 'fancy' named in b/html.scriban was not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_LayoutAssignedFromAnExpression_IsRejectedWithItsPosition()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["b/subject.scriban"] = "b",
            ["b/html.scriban"] = "<p>b</p>\n{{ layout = model_layout }}",
        });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("b", new { ModelLayout = "x" }).AsTask());

        Assert.Equal("b/html.scriban", e.FilePath);
        Assert.Equal(2, e.Line);
        Assert.Contains("literal name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_MissingTemplate_ListsEveryPathItLookedForAndWhere()
    {
        using var renderer = TemplateTestData.Renderer();

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("wellcome", null, TemplateTestData.PolishPoland).AsTask());

        Assert.Equal(MailTemplateError.NotFound, e.Error);
        Assert.Equal("wellcome", e.TemplateName);
        Assert.Equal(
            [
                "wellcome/subject.pl-PL.scriban", "wellcome/subject.pl.scriban", "wellcome/subject.scriban",
                "wellcome/html.pl-PL.scriban", "wellcome/html.pl.scriban", "wellcome/html.scriban",
                "wellcome/text.pl-PL.scriban", "wellcome/text.pl.scriban", "wellcome/text.scriban",
            ],
            e.SearchedPaths);
        Assert.Contains("Template 'wellcome' was not found for culture 'pl-PL' in folder '" + Path.GetFullPath(TemplateTestData.Example), e.Message, StringComparison.Ordinal);
        Assert.Contains("wellcome/html.pl-PL.scriban, wellcome/html.pl.scriban, wellcome/html.scriban", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_MissingSubject_SaysSo()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string> { ["a/html.scriban"] = "<p>a</p>" });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("a", null, CultureInfo.InvariantCulture).AsTask());

        Assert.Equal(["a/subject.scriban"], e.SearchedPaths);
        Assert.Contains("has no subject", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_MissingPartial_NamesThePartialTheIncludeAndWhereItLooked()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["a/subject.scriban"] = "a",
            ["a/html.scriban"] = "<p>a</p>\n<div>{{ include \"missing\" }}</div>",
        });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("a", null, CultureInfo.InvariantCulture).AsTask());

        Assert.Equal("a/html.scriban", e.FilePath);
        Assert.Equal(2, e.Line);
        Assert.Equal(9, e.Column);
        Assert.Contains("The partial 'missing' was not found in in-memory templates", e.Message, StringComparison.Ordinal);
        Assert.Contains("_partials/missing.html.scriban, _partials/missing.scriban", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_MissingVariable_NamesTheVariableTheFileLineAndColumn()
    {
        using var renderer = TemplateTestData.Renderer();

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("welcome", new { CustomerName = "A" }, TemplateTestData.English).AsTask());

        Assert.Equal(MailTemplateError.Runtime, e.Error);
        Assert.Equal("welcome/html.scriban", e.FilePath);
        Assert.Equal(4, e.Line);
        Assert.Equal(70, e.Column);
        Assert.Equal("Template 'welcome' (culture 'en-US'): welcome/html.scriban(4,70): The variable or function `order` was not found", e.Message);
    }

    [Fact]
    public async Task RenderAsync_MissingMember_NamesIt()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["a/subject.scriban"] = "a",
            ["a/html.scriban"] = "<p>{{ customer.nmae }}</p>",
        });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("a", new { Customer = new { Name = "A" } }).AsTask());

        Assert.Contains("a/html.scriban(1,16): Cannot get member with name nmae", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_StrictVariablesOff_WritesNothingForMissingValues()
    {
        using var renderer = TemplateTestData.InMemory(
            new Dictionary<string, string>
            {
                ["a/subject.scriban"] = "a",
                ["a/html.scriban"] = "<p>[{{ nothing }}][{{ customer.nmae }}]</p>",
            },
            o => o.StrictVariables = false);

        var mail = await renderer.RenderAsync("a", new { Customer = new { Name = "A" } });

        Assert.Equal("<p>[][]</p>", mail.HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_DefinedHelper_TestsOptionalValuesInStrictMode()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["a/subject.scriban"] = "a",
            ["a/html.scriban"] = "{{ if defined \"note\" }}[{{ note }}]{{ else }}none{{ end }}",
        });

        Assert.Equal("none", (await renderer.RenderAsync("a", new { Other = 1 })).HtmlBody);
        Assert.Equal("[hi]", (await renderer.RenderAsync("a", new { Note = "hi" })).HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_SyntaxError_NamesTheFileLineAndColumn()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["a/subject.scriban"] = "a",
            ["a/html.scriban"] = "<p>fine</p>\n<p>{{ if }}</p>",
        });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("a", null).AsTask());

        Assert.Equal(MailTemplateError.Syntax, e.Error);
        Assert.Equal("a/html.scriban", e.FilePath);
        Assert.Equal(2, e.Line);
        Assert.StartsWith("Template 'a': a/html.scriban(2,", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_RuntimeErrorInAPartialAfterCssInlining_PointsIntoTheOriginalPartial()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["_layouts/default.html.scriban"] = "<html><head><style>td { color: red; padding: 2px; }</style></head><body>{{ content }}</body></html>",
            ["_partials/row.scriban"] = "<table><tr><td>ok</td><td>{{ 1 / nope }}</td></tr></table>",
            ["a/subject.scriban"] = "a",
            ["a/html.scriban"] = "<p>a</p>{{ include 'row' }}",
        });

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("a", null).AsTask());

        // The inlined partial has style attributes before the error; the column is the one in the file.
        Assert.Equal("_partials/row.scriban", e.FilePath);
        Assert.Equal((1, 34), (e.Line, e.Column));
        Assert.Contains("_partials/row.scriban(1,34): The variable or function `nope` was not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_CSharpAndJsonModels_RenderTheSameEmail()
    {
        using var renderer = TemplateTestData.Renderer();
        using var json = JsonDocument.Parse(File.ReadAllText(TemplateTestData.ModelPath("welcome.json")));

        var fromRecords = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.PolishPoland);
        var fromJson = await renderer.RenderAsync("welcome", json.RootElement, TemplateTestData.PolishPoland);

        Assert.Equal(fromRecords, fromJson);
    }

    [Fact]
    public async Task RenderAsync_DictionaryModel_IsReadByKey()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["a/subject.scriban"] = "{{ title }}",
            ["a/html.scriban"] = "<p>{{ items[1].name }}</p>",
        });

        var mail = await renderer.RenderAsync("a", new Dictionary<string, object?>
        {
            ["title"] = "T",
            ["items"] = new[] { new { Name = "x" }, new { Name = "y" } },
        });

        Assert.Equal("T", mail.Subject);
        Assert.Equal("<p>y</p>", mail.HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_ModelThatIsNotAnObject_IsAnArgumentError()
    {
        using var renderer = TemplateTestData.Renderer();

        await Assert.ThrowsAsync<ArgumentException>(() => renderer.RenderAsync("welcome", "just a string").AsTask());
    }

    [Theory]
    [InlineData("../welcome")]
    [InlineData("/etc/passwd")]
    [InlineData("welcome/../../x")]
    [InlineData("_partials/footer")]
    [InlineData("we lcome")]
    public async Task RenderAsync_NameOutsideTheConvention_IsRejected(string name)
    {
        using var renderer = TemplateTestData.Renderer();

        await Assert.ThrowsAsync<ArgumentException>(() => renderer.RenderAsync(name, null).AsTask());
    }

    [Fact]
    public async Task RenderAsync_EmbeddedResources_RenderLikeTheFolder()
    {
        using var folder = TemplateTestData.Renderer();
        using var embedded = TemplateTestData.Create(new ScribanTemplateOptions
        {
            ResourceAssembly = typeof(TemplateTestData).Assembly,
            ResourcePrefix = "Mailing.Toolkit.Tests.TestData.templates.example",
        });

        // password-reset is a folder name MSBuild mangles into password_reset.
        foreach (var (name, model) in new (string, object)[]
        {
            ("welcome", TemplateTestData.Welcome()),
            ("password-reset", new { CustomerName = "A", ResetUrl = "https://x.example/r", ValidHours = 1 }),
        })
        {
            Assert.Equal(
                await folder.RenderAsync(name, model, TemplateTestData.PolishPoland),
                await embedded.RenderAsync(name, model, TemplateTestData.PolishPoland));
        }
        Assert.Contains("embedded resources of Mailing.Toolkit.Tests", embedded.SourceDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var renderer = TemplateTestData.Renderer();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => renderer.RenderAsync("welcome", TemplateTestData.Welcome(), null, cts.Token).AsTask());
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}
