using System.Globalization;
using System.Text.Json;
using Mailing.Toolkit.Parsing.Internal.Classification;
using Mailing.Toolkit.Text;
using MimeKit;
using Xunit.Abstractions;

namespace Mailing.Toolkit.Tests.Parsing.Classification;

/// <summary>
/// Measures the classifier on sisimai's set of bounces (TestData/bounces, expected.jsonl) and automatic replies
/// (TestData/autoreply). The percentages and misses are written to the test output.
/// </summary>
public sealed class ClassificationCorpusTests(ITestOutputHelper output)
{
    private static readonly string BounceFolder = Path.Combine(AppContext.BaseDirectory, "TestData", "bounces");
    private static readonly string AutoReplyFolder = Path.Combine(AppContext.BaseDirectory, "TestData", "autoreply");

    // sisimai bounces never used for tuning: other files of the same MTA families (see its README.md).
    private static readonly string HeldOutFolder = Path.Combine(AppContext.BaseDirectory, "TestData", "bounces-heldout");

    private static readonly Lazy<CorpusRun> Run = new(() => Measure(BounceFolder));

    private static readonly Lazy<CorpusRun> HeldOut = new(() => Measure(HeldOutFolder));

    // The held-out figures recorded in docs/parsing.md, as floors.
    private static readonly (double Status, double Reason, double Hard) HeldOutFloor = (0.98, 0.74, 0.89);

    [Fact]
    public void Classify_HeldOutBounces_ReportedAndAboveTheirRecordedFloor()
    {
        var run = HeldOut.Value;
        Report(run);
        // The floors are the figures recorded in docs/parsing.md: a change that loses ground on mail it was not
        // tuned on fails here, whatever it gains on the tuning set.
        Assert.Empty(run.TakenForAutoReply);
        Assert.True(run.StatusRate >= HeldOutFloor.Status, $"status matched {run.StatusRate:P1}");
        Assert.True(run.ReasonRate >= HeldOutFloor.Reason, $"reason matched {run.ReasonRate:P1}");
        Assert.True(run.HardRate >= HeldOutFloor.Hard, $"IsHard matched {run.HardRate:P1}");
    }

    [Fact]
    public void Classify_EveryCorpusBounce_IsBounceSuccessOrFeedbackReport()
    {
        var run = Run.Value;
        Report(run);
        Assert.Empty(run.Unrecognized);
    }

    [Fact]
    public void Classify_CorpusRealStatuses_MatchAtLeast95Percent()
    {
        var run = Run.Value;
        Assert.True(run.StatusRate >= 0.95, $"status matched {run.StatusRate:P1}");
    }

    [Fact]
    public void Classify_CorpusReasons_MatchAtLeast85Percent()
    {
        var run = Run.Value;
        Assert.True(run.ReasonRate >= 0.85, $"reason matched {run.ReasonRate:P1}");
    }

    [Fact]
    public void Classify_CorpusHardFlags_MatchAtLeast95Percent()
    {
        var run = Run.Value;
        Assert.True(run.HardRate >= 0.95, $"IsHard matched {run.HardRate:P1}");
    }

    [Fact]
    public void Classify_CorpusNotBounces_AreNotBounces()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(BounceFolder, "not-bounces"), "*.eml"))
        {
            var result = Classify(file);
            Assert.True(result.Bounce is null && result.FeedbackReport is null, Path.GetFileName(file));
        }
    }

    [Fact]
    public void Classify_CorpusAutoReplies_AreAutomaticRepliesNotBounces()
    {
        var files = Directory.GetFiles(AutoReplyFolder, "*.eml");
        Assert.Equal(3, files.Length);
        foreach (var file in files)
        {
            var result = Classify(file);
            output.WriteLine($"{Path.GetFileName(file)}: {result.AutoReply.Reason}");
            Assert.True(result.AutoReply.IsAutoReply, Path.GetFileName(file));
            Assert.NotNull(result.AutoReply.Reason);
            Assert.Null(result.Bounce);
        }
    }

    [Fact]
    public void Classify_CorpusBounces_AreNeverAutomaticReplies()
    {
        var run = Run.Value;
        Assert.Empty(run.TakenForAutoReply);
    }

    private void Report(CorpusRun run)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"files {run.Files}, recognized {run.Files - run.Unrecognized.Count}; rows {run.Rows}; status {run.StatusRate:P1} of {run.StatusRows} real; reason {run.ReasonRate:P1}; IsHard {run.HardRate:P1}"));
        foreach (var file in run.Unrecognized)
            output.WriteLine("unrecognized: " + file);
        foreach (var miss in run.Misses)
            output.WriteLine("miss: " + miss);
    }

    private static readonly Mailing.Toolkit.Parsing.IMailParser Parser = ParserFactory.Create();

    private static MailClassification Classify(string path)
    {
        // Through the real parser, so the figures are the ones a user of IMailParser gets.
        using var stream = File.OpenRead(path);
        var mail = Parser.ParseAsync(stream).AsTask().GetAwaiter().GetResult();
        return new MailClassification(mail.AutoReply!, mail.Bounce, mail.FeedbackReport);
    }

    private static CorpusRun Measure(string folder)
    {
        var expected = File.ReadLines(Path.Combine(folder, "expected.jsonl"))
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<ExpectedRow>(line)!)
            .GroupBy(row => row.File)
            .ToDictionary(group => group.Key, group => group.ToList());

        var run = new CorpusRun();
        foreach (var path in Directory.GetFiles(folder, "*.eml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var result = Classify(path);
            run.Files++;
            if (result.AutoReply.IsAutoReply)
                run.TakenForAutoReply.Add(name);

            var recognized = result.FeedbackReport is not null
                || result.Bounce is { IsBounce: true }
                || result.Bounce is { IsBounce: false } bounce && bounce.Recipients.Count > 0 && bounce.Recipients.All(r => r.Action == "delivered");
            if (!recognized)
                run.Unrecognized.Add(name);

            // Rows are in recipient order; a few files repeat an index, so the position counts, not the index.
            var rows = expected.GetValueOrDefault(name) ?? [];
            for (var position = 0; position < rows.Count; position++)
            {
                var row = rows[position];
                run.Rows++;
                var recipients = result.Bounce?.Recipients ?? [];
                var actual = position < recipients.Count ? recipients[position] : null;
                var reason = result.FeedbackReport is not null ? "feedback" : actual?.Reason;
                var hard = actual?.IsHard ?? false;

                var realStatus = row.Status.Length > 0 && !IsPlaceholder(row.Status);
                if (realStatus)
                    run.StatusRows++;
                var statusOk = !realStatus || actual?.Status == row.Status;
                if (realStatus && statusOk)
                    run.StatusHits++;
                if (reason == row.Reason)
                    run.ReasonHits++;
                if (hard == row.HardBounce)
                    run.HardHits++;

                if (!statusOk || reason != row.Reason || hard != row.HardBounce)
                {
                    run.Misses.Add($"{name}#{position + 1}: status {actual?.Status ?? "-"} (want {row.Status}), reason {reason ?? "-"} (want {row.Reason}), " +
                        $"hard {hard} (want {row.HardBounce}), {actual?.Address} [{Shorten(actual?.DiagnosticCode)}]");
                }
            }
        }
        return run;
    }

    // sisimai writes x.0.9xx (and, in its newer tests, x.9.xxx) when the message had no status and it derived one from the reason.
    private static bool IsPlaceholder(string status) =>
        status.Split('.') is [_, "0", var detail] && detail.Length == 3 && detail[0] == '9' || status.Split('.') is [_, "9", _];

    private static string? Shorten(string? text) => text is { Length: > 160 } ? text[..160] : text;

    private sealed class CorpusRun
    {
        public int Files { get; set; }
        public int Rows { get; set; }
        public int StatusRows { get; set; }
        public int StatusHits { get; set; }
        public int ReasonHits { get; set; }
        public int HardHits { get; set; }
        public List<string> Unrecognized { get; } = [];
        public List<string> TakenForAutoReply { get; } = [];
        public List<string> Misses { get; } = [];
        public double StatusRate => StatusRows == 0 ? 1 : (double)StatusHits / StatusRows;
        public double ReasonRate => Rows == 0 ? 1 : (double)ReasonHits / Rows;
        public double HardRate => Rows == 0 ? 1 : (double)HardHits / Rows;
    }

    private sealed record ExpectedRow(
        [property: System.Text.Json.Serialization.JsonPropertyName("file")] string File,
        [property: System.Text.Json.Serialization.JsonPropertyName("index")] int Index,
        [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
        [property: System.Text.Json.Serialization.JsonPropertyName("reason")] string Reason,
        [property: System.Text.Json.Serialization.JsonPropertyName("hardbounce")] bool HardBounce);
}
