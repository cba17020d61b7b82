using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Mailing.Toolkit.Scriban.Internal;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using PreMailer.Net;

namespace Mailing.Toolkit.Tests.Templating;

public sealed partial class CssInliningTests
{
    public static TheoryData<string, string> Emails => new()
    {
        { "welcome", "en-US" },
        { "welcome", "pl-PL" },
        { "password-reset", "en-US" },
    };

    [Theory]
    [MemberData(nameof(Emails))]
    public async Task RenderAsync_CssInlinedOncePerTemplate_EqualsInliningEveryRenderedEmail(string name, string culture)
    {
        using var inlinedOnce = TemplateTestData.Renderer();
        using var plain = TemplateTestData.Renderer(o => o.InlineCss = false);
        var model = Model(name);
        var cultureInfo = System.Globalization.CultureInfo.GetCultureInfo(culture);

        var ours = (await inlinedOnce.RenderAsync(name, model, cultureInfo)).HtmlBody!;
        var rendered = (await plain.RenderAsync(name, model, cultureInfo)).HtmlBody!;
        var reference = PreMailer.Net.PreMailer.MoveCssInline(rendered, removeStyleElements: true, preserveMediaQueries: true).Html;

        Assert.Contains("<style>", rendered, StringComparison.Ordinal);
        Assert.Contains("style=\"", ours, StringComparison.Ordinal);
        Assert.Equal(Normalize(reference), Normalize(ours));
    }

    [Fact]
    public async Task RenderAsync_TrickyMarkup_EqualsInliningTheRenderedEmail()
    {
        var files = new Dictionary<string, string>
        {
            ["_layouts/default.html.scriban"] = """
                <!DOCTYPE html>
                <html><head><style>
                  td.cell { background-color: #eeeeee; text-align: center; }
                  img.logo { width: 120px; height: 40px; }
                  td.odd { color: red; } td { color: blue; }
                  #main p { margin: 0; } p > b { font-weight: 900; }
                  .box .label { font-size: 11px; }
                </style></head>
                <body><div id=main>{{ content }}</div></body></html>
                """,
            ["_partials/label.scriban"] = "<span class=label>{{ text }}</span>",
            ["t/subject.scriban"] = "s",
            ["t/html.scriban"] = """
                <img class="logo" src="{{ logo }}" alt='Logo of {{ shop }}' />
                <p>Hello <b>{{ name }}</b><br/></p>
                <table>
                {{~ for item in items ~}}
                  <tr>
                    {{ if item.odd }}<td class="cell odd">{{ else }}<td class=cell>{{ end }}{{ item.name }}</td>
                    <td><div class="box">{{ include "label" text: item.name }}</div></td>
                  </tr>
                {{~ end ~}}
                </table>
                """,
        };
        using var inlinedOnce = TemplateTestData.InMemory(files);
        using var plain = TemplateTestData.InMemory(files, o => o.InlineCss = false);
        var model = new
        {
            Logo = "https://shop.example/logo.png",
            Shop = "Tom's \"Shop\"",
            Name = "A & B",
            Items = Enumerable.Range(0, 5).Select(i => new { Odd = i % 2 == 1, Name = $"item <{i}>" }).ToArray(),
        };

        var ours = (await inlinedOnce.RenderAsync("t", model)).HtmlBody!;
        var reference = PreMailer.Net.PreMailer.MoveCssInline((await plain.RenderAsync("t", model)).HtmlBody!, removeStyleElements: true, preserveMediaQueries: true).Html;

        Assert.Equal(Normalize(reference), Normalize(ours));
        Assert.Contains("<img class=\"logo\" src=\"https://shop.example/logo.png\" alt='Logo of Tom&#39;s &quot;Shop&quot;' style=\"width: 120px;height: 40px\" />", ours, StringComparison.Ordinal);
        Assert.Contains("<td class=\"cell odd\" style=\"background-color: #eeeeee;text-align: center;color: red\">item &lt;1&gt;</td>", ours, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_AncestorsChosenByElse_AreLoggedAsAWarning()
    {
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        using var renderer = TemplateTestData.InMemory(
            new Dictionary<string, string>
            {
                ["t/subject.scriban"] = "s",
                ["t/html.scriban"] = "<style>.a td { color: red; }</style><table>\n{{ if odd }}<tr class=\"a\">{{ else }}<tr class=\"b\">{{ end }}<td>x</td></tr></table>",
            },
            logger: factory.CreateLogger("t"));

        await renderer.RenderAsync("t", new { Odd = true });

        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal(5001, warning.EventId.Id);
        Assert.Contains("t/html.scriban(2,37): <tr> start tags chosen by {{ else }}", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_Welcome_MatchesTheExpectedInlinedHtml()
    {
        using var renderer = TemplateTestData.Renderer();

        var html = (await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English)).HtmlBody;

        Assert.Equal(TemplateTestData.Expected("welcome.en-US.html"), html);
    }

    [Fact]
    public async Task RenderAsync_InlinedTemplates_AreTheCachedOnes()
    {
        using var renderer = TemplateTestData.Renderer();
        await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English);

        var composition = renderer.GetComposition("welcome", TemplateTestData.English);

        Assert.NotNull(composition.Html!.Map);
        Assert.NotNull(composition.HtmlLayout!.Map);
        Assert.Equal(["button", "footer"], composition.HtmlPartials.Keys.Order(StringComparer.Ordinal));
        Assert.All(composition.HtmlPartials.Values, p => Assert.NotNull(p.Map));
        Assert.Equal(1, renderer.CompositionsBuilt);
    }

    [Fact]
    public async Task RenderAsync_MediaQueries_StayInTheStyleElement()
    {
        using var renderer = TemplateTestData.Renderer();

        var html = (await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English)).HtmlBody!;

        Assert.Contains("<style>@media only screen and (max-width: 620px) { .container { width: 100% !important; } }</style>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_InlineCssOff_KeepsTheStyleSheet()
    {
        using var renderer = TemplateTestData.Renderer(o => o.InlineCss = false);

        var html = (await renderer.RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English)).HtmlBody!;

        Assert.Contains("  .footer a { color: #888888; }", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=\"padding", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_TemplateCodeInAttributes_IsKeptAndStyledAround()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["_layouts/default.html.scriban"] = "<html><head><style>td { padding: 4px; color: red; } .x { font-weight: bold; }</style></head><body>{{ content }}</body></html>",
            ["t/subject.scriban"] = "s",
            ["t/html.scriban"] = "<table>{{ for c in colors }}<tr><td class=\"x {{ c }}\" style=\"color: {{ c }}\" {{ if c == 'blue' }}data-blue{{ end }}>{{ c }}</td></tr>{{ end }}</table>",
        });

        var html = (await renderer.RenderAsync("t", new { Colors = new[] { "blue", "green" } })).HtmlBody;

        // The style sheet's declarations first, the template's own after them: they win, as in a browser.
        Assert.Equal(
            "<html><head></head><body><table>"
            + "<tr><td class=\"x blue\" style=\"padding: 4px;color: red;font-weight: bold; color: blue\" data-blue>blue</td></tr>"
            + "<tr><td class=\"x green\" style=\"padding: 4px;color: red;font-weight: bold; color: green\" >green</td></tr>"
            + "</table></body></html>",
            html);
    }

    [Fact]
    public async Task RenderAsync_StyleSheetWithTemplateCode_IsLeftAsItIs()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["t/subject.scriban"] = "s",
            ["t/html.scriban"] = "<style>p { color: {{ color }}; }</style><style>b { margin: 0; }</style><p><b>x</b></p>",
        });

        var html = (await renderer.RenderAsync("t", new { Color = "red" })).HtmlBody;

        Assert.Equal("<style>p { color: red; }</style><p><b style=\"margin: 0\">x</b></p>", html);
    }

    [Fact]
    public async Task RenderAsync_LinkedStyleSheetsAndImports_AreNeverDownloaded()
    {
        using var renderer = TemplateTestData.InMemory(new Dictionary<string, string>
        {
            ["t/subject.scriban"] = "s",
            ["t/html.scriban"] = "<link rel=\"stylesheet\" href=\"http://198.51.100.1/x.css\"><style>@import url(\"http://198.51.100.1/y.css\"); p { margin: 0; }</style><p>x</p>",
        });

        var html = (await renderer.RenderAsync("t", null)).HtmlBody;

        Assert.Equal("<link rel=\"stylesheet\" href=\"http://198.51.100.1/x.css\"><p style=\"margin: 0\">x</p>", html);
    }

    [Fact]
    public void Scan_FindsStaticTagsAndWhereEachCodeBlockIs()
    {
        var scan = HtmlTemplateScan.Scan("<p class=\"a {{ c }}\">{{ x }}<!-- {{ y }} --></p><style>b{}</style><title>{{ t }}</title><td {{ attrs }}>");

        Assert.Equal(["p", "style", "title", "td"], scan.Tags.Select(t => t.Name));
        Assert.Equal([CodeContext.Tag, CodeContext.Data, CodeContext.Comment, CodeContext.RawText, CodeContext.Tag], scan.Code.Select(c => c.Context));
        var p = scan.Tags[0];
        var classAttribute = Assert.Single(p.Attributes);
        Assert.Equal("class", classAttribute.Name);
        Assert.True(classAttribute.HasCode);
        Assert.Null(scan.Tags[3].Attributes[0].Name); // an attribute written by code
        Assert.Equal("b{}", scan.Source[scan.Tags[1].ContentStart..scan.Tags[1].ContentEnd]);
    }

#pragma warning disable CA1859 // one of two model types
    private static object Model(string name) => name == "welcome"
        ? TemplateTestData.Welcome()
        : new { CustomerName = "Alice", ResetUrl = "https://shop.example/reset?t=1&u=2", ValidHours = 2 };
#pragma warning restore CA1859

    [GeneratedRegex(@">\s+<")]
    private static partial Regex BetweenTags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    /// <summary>The same DOM serializes the same: parse, write back, and ignore white space between tags.</summary>
    private static string Normalize(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        return Spaces().Replace(BetweenTags().Replace(document.DocumentElement.OuterHtml, "><"), " ");
    }
}
