using System.Diagnostics;
using System.Globalization;
using Mailing.Toolkit.Scriban;

namespace Mailing.Toolkit.Tests.Templating;

public sealed class TemplateSafetyTests
{
    private const string Xss = "<script>alert('x')</script><img src=x onerror=\"steal()\"> & co";

    private static Dictionary<string, string> Files(string html, string? text = null)
    {
        var files = new Dictionary<string, string>
        {
            ["t/subject.scriban"] = "Hi {{ name }}",
            ["t/html.scriban"] = html,
            ["ok/subject.scriban"] = "ok",
            ["ok/html.scriban"] = "<p>{{ name }}</p>",
        };
        if (text is not null)
            files["t/text.scriban"] = text;
        return files;
    }

    [Fact]
    public async Task RenderAsync_XssPayloadInTheModel_IsEscapedInHtmlAndUnchangedInText()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("password-reset", new { CustomerName = Xss, ResetUrl = "https://x.example/r", ValidHours = 1 }, TemplateTestData.English);

        Assert.Contains("Hello &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=&quot;steal()&quot;&gt; &amp; co,", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", mail.HtmlBody, StringComparison.Ordinal);
        Assert.StartsWith("Hello " + Xss + ",\n", mail.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_XssPayload_GeneratedTextShowsItAsTyped()
    {
        using var renderer = TemplateTestData.Renderer();

        var mail = await renderer.RenderAsync("welcome", TemplateTestData.Welcome(Xss), TemplateTestData.English);

        Assert.Contains("Welcome, &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Welcome, " + Xss + "!", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal("Welcome to Example Shop, " + Xss + "!", mail.Subject); // the subject is text: never escaped
    }

    [Fact]
    public async Task RenderAsync_ValueInAnAttribute_CannotBreakOutOfIt()
    {
        using var renderer = TemplateTestData.InMemory(Files("<a title=\"{{ name }}\" href='{{ name }}'>x</a>"));

        var mail = await renderer.RenderAsync("t", new { Name = "\" onmouseover=\"a()' onclick='b()" });

        Assert.Equal("<a title=\"&quot; onmouseover=&quot;a()&#39; onclick=&#39;b()\" href='&quot; onmouseover=&quot;a()&#39; onclick=&#39;b()'>x</a>", mail.HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_RawOutput_OnlyWhenTheTemplateAsksForIt()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ snippet }}|{{ snippet | html.raw }}|{{ 'a' + (snippet | html.raw) }}", "{{ snippet }}"));

        var mail = await renderer.RenderAsync("t", new { Name = "x", Snippet = "<b>bold</b>" });

        // Concatenating raw markup with a string gives a string again: escaped.
        Assert.Equal("&lt;b&gt;bold&lt;/b&gt;|<b>bold</b>|a&lt;b&gt;bold&lt;/b&gt;", mail.HtmlBody);
        Assert.Equal("<b>bold</b>", mail.TextBody);
    }

    [Fact]
    public async Task RenderAsync_HtmlHelpers_EscapeOnceAndKeepTheirMarkup()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ name | html.escape }}|{{ note | html.newline_to_br }}|{{ name | html.strip }}"));

        var mail = await renderer.RenderAsync("t", new { Name = "<b>A&B</b>", Note = "line <1>\nline 2" });

        Assert.Equal("&lt;b&gt;A&amp;B&lt;/b&gt;|line &lt;1&gt;<br />\nline 2|A&amp;B", mail.HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_PartialOutput_IsEscapedOnceNotTwice()
    {
        var files = Files("<div>{{ include 'box' label: name }}</div>");
        files["_partials/box.scriban"] = "<span>{{ label }}</span>";
        using var renderer = TemplateTestData.InMemory(files);

        var mail = await renderer.RenderAsync("t", new { Name = "Tom & Jerry <3" });

        Assert.Equal("<div><span>Tom &amp; Jerry &lt;3</span></div>", mail.HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_SafeUrl_KeepsWebAndMailLinksAndDropsScriptLinks()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ for u in urls }}[{{ u | safe_url }}]{{ end }}"));

        var mail = await renderer.RenderAsync("t", new { Name = "x", Urls = new[] { "https://a.example/x?y=1&z=2", "mailto:a@b.example", "/relative/path", "javascript:alert(1)", " JavaScript:alert(1)", "data:text/html;base64,AAAA", "vbscript:x" } });

        Assert.Equal("[https://a.example/x?y=1&amp;z=2][mailto:a@b.example][/relative/path][#][#][#][#]", mail.HtmlBody);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("../welcome/html")]
    [InlineData("/etc/passwd")]
    [InlineData("..\\..\\etc\\passwd")]
    [InlineData("a//b")]
    public async Task RenderAsync_IncludeOutsideTheSource_FailsWithAClearError(string name)
    {
        var files = Files($"<p>{{{{ include \"{name.Replace("\\", "\\\\", StringComparison.Ordinal)}\" }}}}</p>");
        using var memory = TemplateTestData.InMemory(files);

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => memory.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.Equal("t/html.scriban", e.FilePath);
        Assert.Equal((1, 7), (e.Line, e.Column));
        Assert.Contains($"include \"{name}\" is not allowed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_IncludeTraversal_NeverReadsOutsideTheFolder()
    {
        var root = Directory.CreateTempSubdirectory("mailing-templates-");
        try
        {
            var templates = Directory.CreateDirectory(Path.Combine(root.FullName, "templates"));
            File.WriteAllText(Path.Combine(root.FullName, "secret.scriban"), "TOP SECRET");
            Directory.CreateDirectory(Path.Combine(templates.FullName, "t"));
            File.WriteAllText(Path.Combine(templates.FullName, "t", "subject.scriban"), "s");
            File.WriteAllText(Path.Combine(templates.FullName, "t", "html.scriban"), "{{ include '../../secret' }}");
            using var renderer = TemplateTestData.Renderer(o => o.Root = templates.FullName);

            var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", null).AsTask());

            Assert.DoesNotContain("TOP SECRET", e.Message, StringComparison.Ordinal);
            Assert.Contains("may not contain '..'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task RenderAsync_TemplatesSeeOnlyPublicPropertiesOfTheModel()
    {
        using var renderer = TemplateTestData.InMemory(
            Files("{{ for key in object.keys(this) }}{{ key }};{{ end }}|{{ nested.visible }}|{{ nested.secret_field }}|{{ nested.type }}|{{ nested.callback }}|{{ nested.services }}"),
            o => o.StrictVariables = false);

        var mail = await renderer.RenderAsync("t", new Exposed());

        Assert.Equal("name;nested;|yes||||", mail.HtmlBody);
    }

    [Fact]
    public async Task RenderAsync_NoDotNetMembersOrCodeEvaluation()
    {
        foreach (var template in new[]
        {
            "{{ name.get_type }}",
            "{{ object.eval 'name' }}",
            "{{ object.eval_template '{{ name }}' }}",
            "{{ include_join ['a'] }}",
        })
        {
            using var renderer = TemplateTestData.InMemory(Files(template));
            var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());
            Assert.Equal(MailTemplateError.Runtime, e.Error);
        }
    }

    [Fact]
    public async Task RenderAsync_TemplatesCannotChangeTheSharedHelpers()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ string.upcase = 'hacked' }}"));
        using var normal = TemplateTestData.InMemory(Files("{{ name | string.upcase }}"));

        await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());
        var shadowing = TemplateTestData.InMemory(Files("{{ string = 'mine' }}{{ string }}"));
        Assert.Equal("mine", (await shadowing.RenderAsync("t", new { Name = "x" })).HtmlBody); // a template's own variable, gone after the render
        Assert.Equal("X", (await normal.RenderAsync("t", new { Name = "x" })).HtmlBody);
        shadowing.Dispose();
    }

    [Fact]
    public async Task RenderAsync_MillionIterationLoop_FailsFastNamingTheLimit()
    {
        using var renderer = TemplateTestData.InMemory(Files("<p>{{ for i in 1..1000000 }}{{ i }}{{ end }}</p>"));
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
        Assert.Contains("t/html.scriban(1,", e.Message, StringComparison.Ordinal);
        Assert.Contains("LoopLimit", e.Message, StringComparison.Ordinal);
        Assert.Equal("<p>ok</p>", await StillWorks(renderer));
    }

    [Fact]
    public async Task RenderAsync_NestedLoops_ShareOneBudget()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ for i in 1..200 }}{{ for j in 1..200 }}.{{ end }}{{ end }}"));

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
    }

    [Fact]
    public async Task RenderAsync_DeepRecursion_FailsFastNamingTheLimit()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ func down(n) }}{{ down(n + 1) }}{{ end }}{{ down(0) }}"));

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
        Assert.Contains("RecursiveLimit", e.Message, StringComparison.Ordinal);
        Assert.Equal("<p>ok</p>", await StillWorks(renderer));
    }

    [Fact]
    public async Task RenderAsync_PartialIncludingItself_HitsTheRecursionLimit()
    {
        var files = Files("{{ include 'loop' }}");
        files["_partials/loop.scriban"] = "<div>{{ include 'loop' }}</div>";
        using var renderer = TemplateTestData.InMemory(files);

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
        Assert.Equal("_partials/loop.scriban", e.FilePath);
    }

    [Fact]
    public async Task RenderAsync_HugeStringInTheModel_FailsOnTheOutputLimit()
    {
        using var renderer = TemplateTestData.InMemory(Files("<p>{{ name }}</p>"));

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = new string('x', 5_000_000) }).AsTask());

        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
        Assert.Contains("OutputLimit", e.Message, StringComparison.Ordinal);
        Assert.Equal("<p>ok</p>", await StillWorks(renderer));
    }

    [Fact]
    public async Task RenderAsync_StringDoubling_FailsBeforeItEatsTheMemory()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ s = 'xxxxxxxxxx' }}{{ for i in 1..60 }}{{ s = s + s }}{{ end }}{{ s | string.size }}"));
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
    }

    [Fact]
    public async Task RenderAsync_OutputOverTheLimit_Fails()
    {
        using var renderer = TemplateTestData.InMemory(
            Files("{{ for i in 1..5000 }}<p>0123456789</p>{{ end }}"),
            o => o.OutputLimit = 10_000);

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
        Assert.Contains("OutputLimit", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('(', ')')]
    [InlineData('[', ']')]
    [InlineData('{', '}')]
    public async Task RenderAsync_TenThousandNestedBrackets_FailToParseWithAClearError(char open, char close)
    {
        var expression = new string(open, 10_000) + "1" + new string(close, 10_000);
        using var renderer = TemplateTestData.InMemory(Files("<p>{{ " + expression + " }}</p>"));
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal("t/html.scriban", e.FilePath);
        if (open == '{')
        {
            Assert.Equal(MailTemplateError.Syntax, e.Error); // "{{{{" is not an expression at all
        }
        else
        {
            Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
            Assert.Contains("at most 100 levels", e.Message, StringComparison.Ordinal);
        }
        Assert.Equal("<p>ok</p>", await StillWorks(renderer));
    }

    [Fact]
    public async Task RenderAsync_TenThousandNestedIfs_FailToParse()
    {
        var body = string.Concat(Enumerable.Repeat("{{ if true }}", 10_000)) + "x" + string.Concat(Enumerable.Repeat("{{ end }}", 10_000));
        using var renderer = TemplateTestData.InMemory(Files(body));

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.Equal(MailTemplateError.LimitExceeded, e.Error);
    }

    [Fact]
    public async Task RenderAsync_SlowTemplate_IsStoppedByTheTimeout()
    {
        using var renderer = TemplateTestData.InMemory(
            Files("{{ for i in 1..100000000 }}{{ end }}"),
            o =>
            {
                o.LoopLimit = 100_000_000;
                o.RenderTimeout = TimeSpan.FromMilliseconds(100);
            });
        var watch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<MailTemplateException>(() => renderer.RenderAsync("t", new { Name = "x" }).AsTask());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(MailTemplateError.Timeout, e.Error);
        Assert.Contains("RenderTimeout", e.Message, StringComparison.Ordinal);
        Assert.Equal("t/html.scriban", e.FilePath);
    }

    [Fact]
    public async Task RenderAsync_CancelledWhileRendering_ThrowsOperationCanceled()
    {
        using var renderer = TemplateTestData.InMemory(Files("{{ for i in 1..100000000 }}{{ end }}"), o => o.LoopLimit = 100_000_000);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => renderer.RenderAsync("t", new { Name = "x" }, CultureInfo.InvariantCulture, cts.Token).AsTask());

        Assert.Equal(cts.Token, e.CancellationToken);
    }

    /// <summary>After a failure, the same renderer renders the next email.</summary>
    private static async Task<string?> StillWorks(Mailing.Toolkit.Scriban.Internal.ScribanMailTemplateRenderer renderer) =>
        (await renderer.RenderAsync("ok", new { Name = "ok" })).HtmlBody;

    public sealed class Exposed
    {
#pragma warning disable CA1051 // a public field on purpose: templates must not see it
        public string SecretField = "field";
#pragma warning restore CA1051

        public string Name => "model";

        public Inner Nested { get; } = new();

        internal string Internal => "internal";
    }

    public sealed class Inner
    {
#pragma warning disable CA1051
        public string SecretField = "field";
#pragma warning restore CA1051

        public string Visible => "yes";

        public Type Type => typeof(Inner);

        public Func<string> Callback => () => "called";

        public IServiceProvider? Services => null;
    }
}
