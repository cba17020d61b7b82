using System.Globalization;

namespace Mailing.Toolkit.Tests.Templating;

public sealed class TemplateCachingTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("mailing-templates-");

    public void Dispose() => root.Delete(recursive: true);

    [Fact]
    public async Task RenderAsync_ManyRenders_ParseAndInlineOncePerTemplateAndCulture()
    {
        using var renderer = TemplateTestData.Renderer();

        for (var i = 0; i < 50; i++)
        {
            await renderer.RenderAsync("welcome", TemplateTestData.Welcome($"n{i}"), TemplateTestData.English);
            await renderer.RenderAsync("welcome", TemplateTestData.Welcome($"n{i}"), TemplateTestData.PolishPoland);
        }

        Assert.Equal(2, renderer.CompositionsBuilt);
    }

    [Fact]
    public async Task RenderAsync_ParallelRendersOfOneTemplate_EachGetsItsOwnModel()
    {
        using var renderer = TemplateTestData.Renderer();
        var cultures = new[] { TemplateTestData.English, TemplateTestData.PolishPoland };

        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var culture = cultures[i % 2];
            var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome($"Customer {i:D3}"), culture);
            return (i, culture, mail);
        })));

        var reference = new Dictionary<CultureInfo, string>();
        foreach (var culture in cultures)
        {
            using var fresh = TemplateTestData.Renderer();
            reference[culture] = (await fresh.RenderAsync("welcome", TemplateTestData.Welcome("Customer 000"), culture)).HtmlBody!;
        }
        foreach (var (i, culture, mail) in results)
        {
            Assert.EndsWith($"Customer {i:D3}!", mail.Subject, StringComparison.Ordinal);
            // Identical to a render on its own, but for the name: no state leaks between concurrent renders.
            Assert.Equal(reference[culture].Replace("Customer 000", $"Customer {i:D3}", StringComparison.Ordinal), mail.HtmlBody);
        }
        Assert.Equal(2, renderer.CompositionsBuilt);
    }

    [Fact]
    public async Task RenderAsync_WatchForChanges_PicksUpAnEditedPartialWithoutARestart()
    {
        Write("t/subject.scriban", "s");
        Write("t/html.scriban", "<p>{{ include 'part' }}</p>");
        Write("_partials/part.scriban", "one");
        using var renderer = TemplateTestData.Renderer(o =>
        {
            o.Root = root.FullName;
            o.WatchForChanges = true;
        });
        Assert.Equal("<p>one</p>", (await renderer.RenderAsync("t", null)).HtmlBody);

        Write("_partials/part.scriban", "two");

        Assert.Equal("<p>two</p>", await Eventually(renderer, "<p>two</p>"));
    }

    [Fact]
    public async Task RenderAsync_WatchForChanges_PicksUpANewCultureVariant()
    {
        Write("t/subject.scriban", "s");
        Write("t/html.scriban", "<p>default</p>");
        using var renderer = TemplateTestData.Renderer(o =>
        {
            o.Root = root.FullName;
            o.WatchForChanges = true;
        });
        var polish = CultureInfo.GetCultureInfo("pl-PL");
        Assert.Equal("<p>default</p>", (await renderer.RenderAsync("t", null, polish)).HtmlBody);

        Write("t/html.pl.scriban", "<p>pl</p>");

        Assert.Equal("<p>pl</p>", await Eventually(renderer, "<p>pl</p>", polish));
    }

    [Fact]
    public async Task RenderAsync_WithoutWatching_KeepsTheCachedTemplate()
    {
        Write("t/subject.scriban", "s");
        Write("t/html.scriban", "<p>one</p>");
        using var renderer = TemplateTestData.Renderer(o => o.Root = root.FullName);
        Assert.Equal("<p>one</p>", (await renderer.RenderAsync("t", null)).HtmlBody);

        Write("t/html.scriban", "<p>two</p>");
        await Task.Delay(300);

        Assert.Equal("<p>one</p>", (await renderer.RenderAsync("t", null)).HtmlBody);
    }

    private void Write(string path, string text)
    {
        var full = Path.Combine(root.FullName, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static async Task<string?> Eventually(Mailing.Toolkit.Scriban.Internal.ScribanMailTemplateRenderer renderer, string expected, CultureInfo? culture = null)
    {
        string? html = null;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            html = (await renderer.RenderAsync("t", null, culture ?? CultureInfo.InvariantCulture)).HtmlBody;
            if (html == expected)
                break;
            await Task.Delay(50);
        }
        return html;
    }
}
