using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>A test key: its PEM and the TXT record a domain would publish for it.</summary>
internal sealed record DkimTestKey(string Pem, string Algorithm, string DnsRecord)
{
    public static DkimTestKey Rsa(int bits = 2048)
    {
        using var rsa = RSA.Create(bits);
        var publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        return new DkimTestKey(rsa.ExportPkcs8PrivateKeyPem(), "rsa-sha256", $"v=DKIM1; k=rsa; p={publicKey}");
    }

    /// <summary>An Ed25519 key; RFC 8463 publishes the raw 32-byte public key, not a SubjectPublicKeyInfo.</summary>
    public static DkimTestKey Ed25519()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetEncoded();
        var pem = PemEncoding.WriteString("PRIVATE KEY", pkcs8);
        var raw = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
        return new DkimTestKey(pem, "ed25519-sha256", $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(raw)}");
    }
}

/// <summary>The result of one oracle run: its exit code and everything it printed.</summary>
internal sealed record OracleResult(int ExitCode, string Output);

/// <summary>
/// The independent verifiers: dkimpy (Debian python3-dkim) through TestData/dkim/dkim_verify.py, and libopendkim through
/// <c>opendkim -t</c> with <c>TestPublicKeys</c>. Neither resolves DNS: both read the public keys the test gives them,
/// and opendkim runs in a network namespace of its own (<c>unshare --net</c>) so it cannot query anything.
/// A missing tool skips the test locally and fails it in CI (CI=true), where .ci/run installs both.
/// </summary>
/// <remarks>
/// <c>opendkim-testmsg</c> of opendkim-tools 2.11.0~beta2 (Debian 12) answers "dkim_chunk(): Syntax error" to every
/// message, signed or not, CRLF or LF (its library flags are set after the handle is made), so the opendkim daemon's
/// test mode, which runs the same libopendkim through the milter code path, is the oracle used here.
/// </remarks>
internal static class DkimOracles
{
    private const string Python = "/usr/bin/python3";
    private const string OpenDkim = "/usr/sbin/opendkim";
    private const string Unshare = "/usr/bin/unshare";

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string Script => Path.Combine(AppContext.BaseDirectory, "TestData", "dkim", "dkim_verify.py");

    /// <summary>Runs dkimpy over <paramref name="message"/>; exit 0 means every signature verified.</summary>
    public static async Task<OracleResult> PythonAsync(byte[] message, IReadOnlyDictionary<string, string> records)
    {
        Require(Python, "python3-dkim");
        var check = await RunAsync(Python, ["-c", "import dkim, nacl"]);
        if (check.ExitCode != 0)
            Unavailable("python3-dkim", "the dkim or nacl module cannot be imported: " + check.Output);

        using var dir = new TempDir();
        var messagePath = dir.Write("message.eml", message);
        var recordsPath = dir.Write("records.json", Encoding.UTF8.GetBytes(JsonSerializer.Serialize(records)));
        return await RunAsync(Python, [Script, messagePath, recordsPath]);
    }

    /// <summary>Runs <c>opendkim -t</c> over <paramref name="message"/>; returns its output with one <c>dkim=</c> result per signature.</summary>
    public static async Task<OracleResult> OpenDkimAsync(byte[] message, IReadOnlyDictionary<string, string> records)
    {
        Require(OpenDkim, "opendkim");
        Require(Unshare, "util-linux");

        using var dir = new TempDir();
        var messagePath = dir.Write("message.eml", message);
        var keys = dir.Write("keys.txt", Encoding.ASCII.GetBytes(string.Concat(records.Select(r => $"{r.Key} {r.Value}\n"))));
        var config = dir.Write("opendkim.conf", Encoding.ASCII.GetBytes($"Mode v\nSyslog no\nTestPublicKeys {keys}\n"));
        var result = await RunAsync(Unshare, ["--net", OpenDkim, "-x", config, "-vvv", "-t", messagePath]);
        if (result.Output.Contains("unshare failed", StringComparison.Ordinal) || result.Output.Contains("unshare:", StringComparison.Ordinal))
            Unavailable("unshare --net", result.Output);
        return result;
    }

    /// <summary>Runs a shell command line (openssl and coreutils); returns its standard output, failing the test on a non-zero exit.</summary>
    public static async Task<string> ShellAsync(string command)
    {
        Require("/usr/bin/openssl", "openssl");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{command}' exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    /// <summary>The dkim= results opendkim wrote into its Authentication-Results header, in order.</summary>
    public static string[] OpenDkimResults(OracleResult result) =>
        System.Text.RegularExpressions.Regex.Matches(result.Output, @"\bdkim=(\w+)").Select(m => m.Groups[1].Value).ToArray();

    private static void Require(string path, string package)
    {
        if (!File.Exists(path))
            Unavailable(package, $"{path} is not installed (.ci/run installs the Debian package)");
    }

    private static void Unavailable(string name, string reason)
    {
        if (IsCi)
            throw new InvalidOperationException($"{name} is required when CI=true: {reason}");
        throw new SkipException($"{name} is not available: {reason}. In CI this is a failure.");
    }

    private static async Task<OracleResult> RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file)
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

    private sealed class TempDir : IDisposable
    {
        private readonly string path = Directory.CreateTempSubdirectory("dkim-oracle-").FullName;

        public string Write(string name, byte[] content)
        {
            var file = Path.Combine(path, name);
            File.WriteAllBytes(file, content);
            return file;
        }

        public void Dispose() => Directory.Delete(path, recursive: true);
    }
}

/// <summary>A transport that keeps the exact bytes a raw-message transport would hand on (<see cref="OutgoingMail.WriteToAsync"/>).</summary>
internal sealed class CapturingTransport : IMailTransport
{
    public List<byte[]> Sent { get; } = [];

    public string Name => "capture";

    public async Task<SendResult> DeliverAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await mail.WriteToAsync(buffer, cancellationToken);
        lock (Sent)
            Sent.Add(buffer.ToArray());
        return new SendResult(
            mail.Message.MessageId ?? string.Empty,
            mail.Envelope.Recipients.Select(r => new RecipientResult(r.Address, true, 250, null, null)).ToArray(),
            "capture",
            1,
            "250 OK");
    }
}
