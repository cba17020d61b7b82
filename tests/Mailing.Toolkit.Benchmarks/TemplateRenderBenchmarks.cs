using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.DependencyInjection;
using Scriban;
using Scriban.Parsing;
using Scriban.Functions;
using Scriban.Runtime;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// The welcome email of samples/Quickstart/Templates (layout, two partials, a 20-row order table, en-US)
/// rendered once per operation. Baseline: raw Scriban with every template parsed once, given the same
/// helper functions our renderer adds (format, format_currency, safe_url, defined, culture).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 5, iterationCount: 15)]
public class TemplateRenderBenchmarks
{
    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");
    private static readonly BuiltinFunctions Builtins = new();
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Dictionary<string, Template> partials = [];
    private string folder = string.Empty;
    private WelcomeModel model = null!;
    private Template layout = null!;
    private Template body = null!;
    private Template subject = null!;
    private ServiceProvider? services;
    private IMailTemplateRenderer cached = null!;
    private IMailTemplateRenderer inlined = null!;
    private IMailTemplateRenderer full = null!;
    private string renderedHtml = string.Empty;
    private string inlinedHtml = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        folder = TemplateFolder();
        model = LoadModel();
        ParseAll();

        var collection = new ServiceCollection();
        collection.AddMailing().AddSmtpSender(o => o.Host = "unused.example");
        services = collection.BuildServiceProvider();
        cached = Renderer(folder, inlineCss: false, generateText: false);
        inlined = Renderer(folder, inlineCss: true, generateText: false);
        full = Renderer(folder, inlineCss: true, generateText: true);
        renderedHtml = Raw();
        inlinedHtml = Inlined().GetAwaiter().GetResult().HtmlBody!;
    }

    [GlobalCleanup]
    public void Cleanup() => services?.Dispose();

    [Benchmark(Baseline = true, Description = "raw Scriban, templates parsed once")]
    public string Raw()
    {
        var context = new TemplateContext(Builtins) { TemplateLoader = new NoLoader(), MemberRenamer = StandardMemberRenamer.Default };
        foreach (var (name, template) in partials)
            context.CachedTemplates[name] = template;
        context.PushCulture(Culture);
        var globals = new ScriptObject();
        globals.Import(model);
        globals.Import("format", new Func<TemplateContext, object?, string?, string?>((c, v, f) => v is IFormattable x ? x.ToString(f, c.CurrentCulture) : v?.ToString()));
        globals.Import("format_currency", new Func<TemplateContext, object?, string, string?>((c, v, _) => Convert.ToDecimal(v, c.CurrentCulture).ToString("C", c.CurrentCulture)));
        globals.Import("safe_url", new Func<object?, string>(v => v?.ToString() ?? string.Empty));
        globals.Import("defined", new Func<string, bool>(_ => true));
        globals.Import("culture", new Func<TemplateContext, string>(c => c.CurrentCulture.Name));
        context.PushGlobal(globals);
        _ = subject.Render(context);
        var content = body.Render(context);
        context.PushGlobal(new ScriptObject { ["content"] = content });
        return layout.Render(context);
    }

    [Benchmark(Description = "raw Scriban, parsing on every render")]
    public string RawParsingEachTime()
    {
        ParseAll();
        return Raw();
    }

    [Benchmark(Description = "our renderer (cached; no CSS inlining, no text part)")]
    public async Task<RenderedMail> Cached() => await cached.RenderAsync("welcome", model, Culture);

    [Benchmark(Description = "our renderer, CSS inlined once, no text part")]
    public async Task<RenderedMail> Inlined() => await inlined.RenderAsync("welcome", model, Culture);

    [Benchmark(Description = "our renderer, full pipeline (CSS inlined once, text part generated)")]
    public async Task<RenderedMail> FullPipeline() => await full.RenderAsync("welcome", model, Culture);

    [Benchmark(Description = "reference: PreMailer.Net MoveCssInline over the rendered HTML")]
    public string PreMailerPerEmail() => PreMailer.Net.PreMailer.MoveCssInline(renderedHtml).Html;

    [Benchmark(Description = "reference: HtmlToText.Convert over the rendered HTML")]
    public string HtmlToTextPerEmail() => Text.HtmlToText.Convert(renderedHtml);

    [Benchmark(Description = "reference: HtmlToText.Convert over the CSS-inlined HTML")]
    public string HtmlToTextInlinedPerEmail() => Text.HtmlToText.Convert(inlinedHtml);

    /// <summary>The Quickstart sample's templates, which the welcome email is rendered from.</summary>
    internal static string TemplateFolder() => Path.Combine(RepositoryRoot(), "samples", "Quickstart", "Templates");

    /// <summary>The welcome email's model (the templating tests' welcome.json).</summary>
    internal static WelcomeModel LoadModel()
    {
        var json = File.ReadAllText(Path.Combine(RepositoryRoot(), "tests", "Mailing.Toolkit.Tests", "TestData", "templates", "models", "welcome.json"));
        return JsonSerializer.Deserialize<WelcomeModel>(json, SnakeCase)!;
    }

    internal static IMailTemplateRenderer Renderer(string folder, bool inlineCss, bool generateText)
    {
        var collection = new ServiceCollection();
        collection.AddMailing().AddScribanTemplates(o =>
        {
            o.Root = folder;
            o.InlineCss = inlineCss;
            o.GenerateTextBody = generateText;
        });
        return collection.BuildServiceProvider().GetRequiredService<IMailTemplateRenderer>();
    }

    private void ParseAll()
    {
        layout = Parse("_layouts/default.html.scriban");
        body = Parse("welcome/html.scriban");
        subject = Parse("welcome/subject.scriban");
        partials["button"] = Parse("_partials/button.scriban");
        partials["footer"] = Parse("_partials/footer.scriban");
    }

    private Template Parse(string path) => Template.Parse(File.ReadAllText(Path.Combine(folder, path)), path);

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mailing.Toolkit.sln")))
                return dir.FullName;
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>Every include is served from <see cref="TemplateContext.CachedTemplates"/>; loading is never needed.</summary>
    private sealed class NoLoader : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

        public string? Load(TemplateContext context, SourceSpan callerSpan, string templatePath) => throw new InvalidOperationException(templatePath);

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) => throw new InvalidOperationException(templatePath);
    }
}

/// <summary>The welcome model (CustomerName is customer_name in the template).</summary>
public sealed record WelcomeModel(string CustomerName, string AccountUrl, Order Order);

/// <summary>An order.</summary>
public sealed record Order(string Number, DateTime Date, string Currency, IReadOnlyList<OrderLine> Lines, decimal Total);

/// <summary>An order line.</summary>
public sealed record OrderLine(string Product, int Quantity, decimal Price);
