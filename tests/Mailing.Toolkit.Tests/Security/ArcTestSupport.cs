using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mailing.Toolkit.Security.Internal;
using MimeKit;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>What dkimpy's ARC validation (TestData/auth/arc/arc_verify.py) said about a message.</summary>
internal sealed record ArcOracleResult(string? Cv, string Reason, IReadOnlyList<ArcOracleSet> Sets, bool? NewestSealAlone, string Output);

/// <summary>One ARC set as dkimpy checked it: its seal over every set up to it, its message signature.</summary>
internal sealed record ArcOracleSet(int Instance, string Cv, bool SealValid, bool MessageSignatureValid);

/// <summary>
/// The independent ARC verifier: dkimpy (Debian python3-dkim) through TestData/auth/arc/arc_verify.py, with the TXT
/// records the test gives it and no DNS. A missing python3-dkim skips the test locally and fails it in CI (CI=true).
/// </summary>
internal static class ArcOracle
{
    private const string Python = "/usr/bin/python3";

    /// <summary>The format the sealer writes with: CRLF and no SMTPUTF8 re-encoding, as every transport writes.</summary>
    public static readonly FormatOptions Wire = CreateWire();

    private static string Script => Path.Combine(AppContext.BaseDirectory, "TestData", "auth", "arc", "arc_verify.py");

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static byte[] Bytes(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(Wire, stream);
        return stream.ToArray();
    }

    public static async Task<ArcOracleResult> VerifyAsync(MimeMessage message, IReadOnlyDictionary<string, string> records)
    {
        if (!File.Exists(Python))
            Unavailable($"{Python} is not installed");
        var check = await RunAsync(["-c", "import dkim"]);
        if (check.ExitCode != 0)
            Unavailable("the dkim module cannot be imported: " + check.Output);

        var dir = Directory.CreateTempSubdirectory("arc-oracle-").FullName;
        try
        {
            var messagePath = Path.Combine(dir, "message.eml");
            var recordsPath = Path.Combine(dir, "records.json");
            await File.WriteAllBytesAsync(messagePath, Bytes(message));
            await File.WriteAllTextAsync(recordsPath, JsonSerializer.Serialize(records));
            var run = await RunAsync([Script, messagePath, recordsPath]);
            if (run.ExitCode != 0)
                throw new InvalidOperationException("arc_verify.py failed: " + run.Output);
            var line = run.Output.Split('\n').FirstOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException("arc_verify.py printed no result: " + run.Output);
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var sets = root.GetProperty("sets").EnumerateArray()
                .Select(s => new ArcOracleSet(s.GetProperty("instance").GetInt32(), s.GetProperty("cv").GetString()!, s.GetProperty("as_valid").GetBoolean(), s.GetProperty("ams_valid").GetBoolean()))
                .ToArray();
            var alone = root.GetProperty("newest_seal_alone");
            return new ArcOracleResult(
                root.GetProperty("cv").ValueKind == JsonValueKind.Null ? null : root.GetProperty("cv").GetString(),
                root.GetProperty("reason").GetString() ?? string.Empty,
                sets,
                alone.ValueKind == JsonValueKind.Null ? null : alone.GetBoolean(),
                run.Output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The tag list of an ARC-Seal or ARC-Message-Signature, whitespace removed from the values.</summary>
    public static Dictionary<string, string> Tags(string value) =>
        DkimTags.Parse(value) ?? throw new InvalidOperationException("not a tag list: " + value);

    /// <summary>The tag names in the order the header field has them.</summary>
    public static string[] TagOrder(string value) =>
        value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t[..t.IndexOf('=', StringComparison.Ordinal)].Trim()).ToArray();

    /// <summary>A header value with folding and runs of whitespace made one space, as relaxed canonicalization sees it.</summary>
    public static string Normalize(string value) =>
        System.Text.RegularExpressions.Regex.Replace(value, @"\s+", " ").Trim();

    private static void Unavailable(string reason)
    {
        if (IsCi)
            throw new InvalidOperationException($"python3-dkim is required when CI=true: {reason}");
        throw new SkipException($"python3-dkim is not available: {reason}. In CI this is a failure.");
    }

    private static async Task<OracleResult> RunAsync(string[] arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new OracleResult(process.ExitCode, await stdout + await stderr);
    }

    private static FormatOptions CreateWire()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = false;
        return format;
    }
}
