using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Mailing.Toolkit.Parsing.Internal.Replies;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// The reply extractor on email_reply_parser's adversarial inputs (../shared/corpora/reply): pathological.txt,
/// which that project gives a one-second limit, and email_long_quote.txt (767 KB, one 707 KB quoted line).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 3, iterationCount: 10)]
public class ReplyExtractionBenchmarks
{
    private string text = string.Empty;

    [Params("pathological.txt", "email_long_quote.txt")]
    public string File { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup() => text = System.IO.File.ReadAllText(Path.Combine(Corpora.Root, "reply", "email_reply_parser", File));

    [Benchmark(Description = "ReplyExtractor.Extract (text)")]
    public int Extract() => ReplyExtractor.Extract(text, null)?.VisibleText.Length ?? 0;
}
