using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Mailing.Toolkit.Text;
using Mailing.Toolkit.Text.Internal;
using MimeKit.Text;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// HtmlToText over one email. Baseline: MimeKit's HtmlTokenizer reading every token and nothing more (the floor
/// of the converter as it was before it got its own tokenizer); against it our tokenizer alone, and
/// HtmlToText.Convert as it is.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 3, iterationCount: 12)]
public class HtmlToTextBenchmarks
{
    private static readonly string TestData = Path.Combine(TemplateRenderBenchmarks.RepositoryRoot(), "tests", "Mailing.Toolkit.Tests", "TestData", "html-to-text");

    private string html = string.Empty;

    /// <summary>
    /// welcome-inlined: the welcome email as the templating package renders it (CSS inlined, so long style
    /// attributes everywhere). welcome: the 5.5 KB welcome email of the HtmlToText tests (a style sheet, no
    /// inlining). newsletter: a 50 KB Mailchimp newsletter from the SpamScope corpus.
    /// </summary>
    [Params("welcome-inlined", "welcome", "newsletter")]
    public string Input { get; set; } = "welcome-inlined";

    [GlobalSetup]
    public void Setup()
    {
        html = Input switch
        {
            "welcome-inlined" => TemplateRenderBenchmarks.Renderer(TemplateRenderBenchmarks.TemplateFolder(), inlineCss: true, generateText: false)
                .RenderAsync("welcome", TemplateRenderBenchmarks.LoadModel(), CultureInfo.GetCultureInfo("en-US")).AsTask().GetAwaiter().GetResult().HtmlBody!,
            "welcome" => File.ReadAllText(Path.Combine(TestData, "welcome-email.html")),
            _ => File.ReadAllText(Path.Combine(TestData, "corpus", "spamscope", "mail_test_13.html")),
        };
    }

    [Benchmark(Baseline = true, Description = "MimeKit HtmlTokenizer, all tokens")]
    public int MimeKitTokens()
    {
        var count = 0;
        var tokenizer = new HtmlTokenizer(new StringReader(html)) { IgnoreTruncatedTags = true };
        while (tokenizer.ReadNextToken(out _))
            count++;
        return count;
    }

    [Benchmark(Description = "HtmlTokenReader, all tokens")]
    public int OurTokens()
    {
        var count = 0;
        var reader = new HtmlTokenReader(html);
        while (reader.Read())
            count++;
        return count;
    }

    [Benchmark(Description = "HtmlToText.Convert")]
    public string Convert() => HtmlToText.Convert(html);
}
