using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Jobs;
using Mailing.Toolkit.Parsing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Benchmarks;

/// <summary>
/// Full <see cref="IMailParser.ParseAsync"/> of MimeKit's own parser workloads (../shared/corpora/perf) against
/// what a user would write with MimeKit alone. Two pairs, each with its own baseline: the parse (bodies read,
/// no attachment content decoded), and the parse plus every attachment decoded and hashed.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 5, iterationCount: 15)]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ParseBenchmarks
{
    private byte[] message = [];
    private ServiceProvider? services;
    private IMailParser parser = null!;

    [Params("startrek.eml", "xamarin3.eml")]
    public string File { get; set; } = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        message = System.IO.File.ReadAllBytes(Path.Combine(Corpora.Root, "perf", File));
        var collection = new ServiceCollection();
        collection.AddMailing().AddMailParser();
        services = collection.BuildServiceProvider();
        parser = services.GetRequiredService<IMailParser>();
    }

    [GlobalCleanup]
    public void Cleanup() => services?.Dispose();

    [BenchmarkCategory("parse"), Benchmark(Baseline = true, Description = "MimeKit Load + TextBody + HtmlBody")]
    public int MimeKitLoad()
    {
        var loaded = MimeMessage.Load(new MemoryStream(message, writable: false));
        return (loaded.TextBody?.Length ?? 0) + (loaded.HtmlBody?.Length ?? 0);
    }

    [BenchmarkCategory("parse"), Benchmark(Description = "IMailParser.ParseAsync (full)")]
    public async Task<int> Parse()
    {
        var mail = await parser.ParseAsync(new MemoryStream(message, writable: false));
        return mail.Attachments.Count + (mail.TextBody?.Length ?? 0);
    }

    [BenchmarkCategory("attachments"), Benchmark(Baseline = true, Description = "MimeKit Load + decode and SHA-256 each attachment")]
    public int MimeKitHashAttachments()
    {
        var loaded = MimeMessage.Load(new MemoryStream(message, writable: false));
        var total = (loaded.TextBody?.Length ?? 0) + (loaded.HtmlBody?.Length ?? 0);
        foreach (var part in loaded.BodyParts.OfType<MimePart>())
        {
            if (!part.IsAttachment && part is TextPart)
                continue;
            using var decoded = new MemoryStream();
            part.Content?.DecodeTo(decoded);
            decoded.Position = 0;
            total += SHA256.HashData(decoded)[0];
        }
        return total;
    }

    [BenchmarkCategory("attachments"), Benchmark(Description = "IMailParser.ParseAsync + every Sha256")]
    public async Task<int> ParseAndHashAttachments()
    {
        var mail = await parser.ParseAsync(new MemoryStream(message, writable: false));
        var total = mail.TextBody?.Length ?? 0;
        foreach (var attachment in mail.Attachments)
            total += attachment.Sha256[0];
        return total;
    }
}

/// <summary>Messages per second over the whole sisimai bounce folder (222 real bounces from 50+ MTAs).</summary>
[MemoryDiagnoser]
[SimpleJob(RuntimeMoniker.Net10_0, warmupCount: 3, iterationCount: 10)]
public class ParseThroughputBenchmarks
{
    private byte[][] messages = [];
    private ServiceProvider? services;
    private IMailParser parser = null!;

    [GlobalSetup]
    public void Setup()
    {
        messages = Directory.EnumerateFiles(Path.Combine(Corpora.Root, "bounces", "sisimai"), "*.eml", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(System.IO.File.ReadAllBytes)
            .ToArray();
        var collection = new ServiceCollection();
        collection.AddMailing().AddMailParser();
        services = collection.BuildServiceProvider();
        parser = services.GetRequiredService<IMailParser>();
    }

    [GlobalCleanup]
    public void Cleanup() => services?.Dispose();

    /// <summary>One operation is one message: the mean is the time per message across the folder.</summary>
    [Benchmark(OperationsPerInvoke = 222, Description = "ParseAsync, each sisimai file")]
    public async Task<int> ParseFolder()
    {
        var total = 0;
        foreach (var bytes in messages)
            total += (await parser.ParseAsync(new MemoryStream(bytes, writable: false))).Bounce?.Recipients.Count ?? 0;
        return total;
    }
}

internal static class Corpora
{
    /// <summary>../shared/corpora beside the checkout (or MAILING_CORPORA).</summary>
    public static string Root
    {
        get
        {
            if (Environment.GetEnvironmentVariable("MAILING_CORPORA") is { Length: > 0 } configured)
                return configured;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "corpora");
                if (Directory.Exists(candidate))
                    return candidate;
            }
            throw new DirectoryNotFoundException("The test corpora were not found: set MAILING_CORPORA to the folder that holds perf/ and bounces/.");
        }
    }
}
