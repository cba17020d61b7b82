using System.Diagnostics;
using System.Text;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>The output of one gpg run.</summary>
internal sealed record GpgResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string Text => Encoding.UTF8.GetString(Stdout);
}

/// <summary>One identity made by gpg: its fingerprint, passphrase and exports (as gpg --export --armor writes them).</summary>
internal sealed record GpgIdentity(string Name, string Address, string Passphrase, string Fingerprint, string PublicArmored, string SecretArmored)
{
    public OpenPgpKeySource Public => new() { Armored = PublicArmored };

    public OpenPgpSecretKeySource Secret => new() { Armored = SecretArmored, Passphrase = Passphrase };

    /// <summary>The key ids of the key and its subkeys, as gpg lists them (16 upper-case hex digits).</summary>
    public IReadOnlyList<string> KeyIds { get; init; } = [];
}

/// <summary>
/// gpg as the oracle: a temporary GNUPGHOME with keys made at test time by gpg itself, once per test run.
/// Alice is our own identity (ed25519 with a cv25519 encryption subkey), Bob a correspondent with RSA 3072 keys,
/// Carol a stranger whose key we do not hold, Dave a key that expired in 2020 (made with --faked-system-time) and
/// Eve a key revoked with the revocation certificate gpg stores when it makes a key.
/// gpg missing skips the tests locally and fails them in CI (CI=true), where .ci/run installs gnupg.
/// </summary>
public sealed class GpgFixture : IAsyncLifetime
{
    private const string GpgPath = "/usr/bin/gpg";

    private readonly string home = Directory.CreateTempSubdirectory("pgp-test-").FullName;
    private string? unavailable;

    internal GpgIdentity Alice { get; private set; } = null!;

    internal GpgIdentity Bob { get; private set; } = null!;

    internal GpgIdentity Carol { get; private set; } = null!;

    internal GpgIdentity Dave { get; private set; } = null!;

    internal GpgIdentity Eve { get; private set; } = null!;

    /// <summary>A MIME entity Eve signed before her key was revoked.</summary>
    internal static byte[] EveSignedContent { get; } = PgpMimeWire.Entity("Eve signed this before her key was revoked.\n");

    /// <summary>Eve's detached signature (armored) over <see cref="EveSignedContent"/>.</summary>
    internal byte[] EveSignature { get; private set; } = [];

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public async Task InitializeAsync()
    {
        if (!File.Exists(GpgPath))
        {
            unavailable = $"{GpgPath} is not installed (Debian package gnupg)";
            return;
        }

        Alice = await CreateAsync("Alice", "alice@example.com", "alice-pass-1", "ed25519", "cv25519", expiry: "2y");
        Bob = await CreateAsync("Bob", "bob@example.com", "bob-pass-2", "rsa3072", "rsa3072", expiry: "never");
        Carol = await CreateAsync("Carol", "carol@example.com", "carol-pass-3", "ed25519", "cv25519", expiry: "never");
        Dave = await CreateAsync("Dave", "dave@example.com", "dave-pass-4", "ed25519", "cv25519", expiry: "1d", fakedTime: "20200101T000000");
        Eve = await CreateAsync("Eve", "eve@example.com", "eve-pass-5", "ed25519", "cv25519", expiry: "never");

        // gpg signs no more with a revoked key: Eve signs first, then her key is revoked with the revocation
        // certificate gpg keeps for every key it makes.
        EveSignature = (await RunCheckedAsync(["--detach-sign", "--armor", "--digest-algo", "SHA256", "--local-user", Eve.Fingerprint], EveSignedContent, Eve.Passphrase)).Stdout;
        var revocation = await File.ReadAllTextAsync(Path.Combine(home, "openpgp-revocs.d", Eve.Fingerprint + ".rev"));
        await RunCheckedAsync(["--import"], Encoding.ASCII.GetBytes(revocation.Replace(":-----BEGIN", "-----BEGIN", StringComparison.Ordinal)));
        Eve = Eve with { PublicArmored = (await RunCheckedAsync(["--export", "--armor", Eve.Fingerprint])).Text };
    }

    public async Task DisposeAsync()
    {
        if (File.Exists("/usr/bin/gpgconf"))
            await RunAsync("/usr/bin/gpgconf", ["--homedir", home, "--kill", "gpg-agent"], null);
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
            // The agent's socket can linger a moment; the temp folder is cleaned by the system.
        }
    }

    /// <summary>Skips the test (locally) or fails it (CI) when gpg is missing.</summary>
    internal void Require()
    {
        if (unavailable is null)
            return;
        if (IsCi)
            throw new InvalidOperationException($"gpg is required when CI=true: {unavailable}");
        throw new SkipException($"gpg is not available: {unavailable}. In CI this is a failure.");
    }

    /// <summary>Runs gpg in the test home, non-interactively, trusting every key (the oracle checks cryptography, not the web of trust).</summary>
    internal Task<GpgResult> GpgAsync(IEnumerable<string> arguments, byte[]? input = null, string? passphrase = null, string? fakedTime = null)
    {
        var all = new List<string> { "--homedir", home, "--batch", "--yes", "--no-tty", "--trust-model", "always", "--pinentry-mode", "loopback" };
        if (passphrase is not null)
            all.AddRange(["--passphrase", passphrase]);
        if (fakedTime is not null)
            all.AddRange(["--faked-system-time", fakedTime]);
        all.AddRange(arguments);
        return RunAsync(GpgPath, all, input);
    }

    /// <summary>Writes <paramref name="content"/> to a file in a fresh folder under the test home (removed with it), for gpg arguments that need files.</summary>
    internal string WriteFile(string name, byte[] content)
    {
        var folder = Directory.CreateDirectory(Path.Combine(home, "files", Guid.NewGuid().ToString("N"))).FullName;
        var file = Path.Combine(folder, name);
        File.WriteAllBytes(file, content);
        return file;
    }

    private async Task<GpgIdentity> CreateAsync(string name, string address, string passphrase, string algorithm, string encryption, string expiry, string? fakedTime = null)
    {
        var userId = $"{name} <{address}>";
        await RunCheckedAsync(["--quick-gen-key", userId, algorithm, "sign", expiry], passphrase: passphrase, fakedTime: fakedTime);
        var listing = (await RunCheckedAsync(["--with-colons", "--list-keys", address])).Text;
        var fingerprint = listing.Split('\n').First(l => l.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        await RunCheckedAsync(["--quick-add-key", fingerprint, encryption, "encr", expiry], passphrase: passphrase, fakedTime: fakedTime);
        listing = (await RunCheckedAsync(["--with-colons", "--list-keys", address])).Text;
        var keyIds = listing.Split('\n').Where(l => l.StartsWith("pub:", StringComparison.Ordinal) || l.StartsWith("sub:", StringComparison.Ordinal)).Select(l => l.Split(':')[4]).ToArray();
        var publicKey = (await RunCheckedAsync(["--export", "--armor", fingerprint])).Text;
        var secretKey = (await RunCheckedAsync(["--export-secret-keys", "--armor", fingerprint], passphrase: passphrase)).Text;
        return new GpgIdentity(name, address, passphrase, fingerprint, publicKey, secretKey) { KeyIds = keyIds };
    }

    private async Task<GpgResult> RunCheckedAsync(IEnumerable<string> arguments, byte[]? input = null, string? passphrase = null, string? fakedTime = null)
    {
        var result = await GpgAsync(arguments, input, passphrase, fakedTime);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"gpg {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Stderr}");
        return result;
    }

    private static async Task<GpgResult> RunAsync(string file, IEnumerable<string> arguments, byte[]? input)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
            await process.StandardInput.BaseStream.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        await copyOut;
        return new GpgResult(process.ExitCode, stdout.ToArray(), await stderr);
    }
}

[CollectionDefinition(Name)]
public sealed class GpgTests : ICollectionFixture<GpgFixture>
{
    public const string Name = "gpg";
}

/// <summary>A container with AddOpenPgp and a transport that keeps the bytes as they go on the wire.</summary>
internal sealed class OpenPgpHost : IAsyncDisposable
{
    private OpenPgpHost(ServiceProvider provider, CapturingTransport transport, CapturingLoggerProvider logs)
    {
        Provider = provider;
        Transport = transport;
        Logs = logs;
    }

    public ServiceProvider Provider { get; }

    public CapturingTransport Transport { get; }

    public CapturingLoggerProvider Logs { get; }

    public static OpenPgpHost Build(Action<OpenPgpOptions> configure, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        var logs = new CapturingLoggerProvider();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        if (time is not null)
            services.AddSingleton(time);
        var transport = new CapturingTransport();
        services.AddSingleton(transport);
        services.AddMailing(o => o.DefaultFrom = "alice@example.com").AddOpenPgp(configure).AddMailParser().AddTransport<CapturingTransport>();
        return new OpenPgpHost(services.BuildServiceProvider(), transport, logs);
    }

    /// <summary>Sends through the real sender pipeline; returns the bytes the transport received.</summary>
    public async Task<byte[]> SendAsync(MimeMessage message)
    {
        await Provider.GetRequiredService<IMailSender>().SendAsync(message);
        return Transport.Sent[^1];
    }

    public Mailing.Toolkit.Parsing.IMailParser Parser => Provider.GetRequiredService<Mailing.Toolkit.Parsing.IMailParser>();

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

/// <summary>Reads PGP/MIME wire bytes without MimeKit, so the oracle sees exactly what was sent.</summary>
internal static class PgpMimeWire
{
    /// <summary>
    /// The parts of the top-level multipart of <paramref name="message"/>, byte for byte: what lies between
    /// "--boundary CRLF" and the "CRLF --boundary" that follows (RFC 2046: that CRLF belongs to the delimiter).
    /// </summary>
    public static List<byte[]> Parts(byte[] message)
    {
        var text = Encoding.Latin1.GetString(message);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = text[..headerEnd].Replace("\r\n\t", " ", StringComparison.Ordinal).Replace("\r\n ", " ", StringComparison.Ordinal);
        var match = System.Text.RegularExpressions.Regex.Match(headers, "boundary=\"?([^\";\r\n]+)\"?", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        Assert.True(match.Success, "no boundary in the top-level Content-Type");
        var delimiter = "\r\n--" + match.Groups[1].Value;
        var parts = new List<byte[]>();
        var position = text.IndexOf("--" + match.Groups[1].Value, headerEnd, StringComparison.Ordinal);
        while (position >= 0)
        {
            var lineEnd = text.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (text.AsSpan(position + delimiter.Length - 2).StartsWith("--"))
                break;
            var start = lineEnd + 2;
            var next = text.IndexOf(delimiter, start, StringComparison.Ordinal);
            if (next < 0)
                break;
            parts.Add(message[start..next]);
            position = next + 2;
        }

        return parts;
    }

    /// <summary>The body of a part (after its header), as bytes.</summary>
    public static byte[] Body(byte[] part)
    {
        var text = Encoding.Latin1.GetString(part);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return part[(end + 4)..];
    }

    /// <summary>
    /// A message whose body is <paramref name="type"/> with <paramref name="parts"/>, built as text around gpg's output:
    /// no MimeKit writes it, so the parser reads a PGP/MIME layout made by another hand.
    /// </summary>
    public static byte[] Build(string from, string to, string contentType, params byte[][] parts)
    {
        const string boundary = "=-=pgp-test-boundary=-=";
        var builder = new MemoryStream();
        void Write(string s) => builder.Write(Encoding.ASCII.GetBytes(s));
        Write($"From: {from}\r\nTo: {to}\r\nSubject: from gpg\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <gpg-{Guid.NewGuid():N}@example.com>\r\nMIME-Version: 1.0\r\n");
        Write($"Content-Type: {contentType}; boundary=\"{boundary}\"\r\n\r\nThis is an OpenPGP/MIME message (RFC 3156).\r\n");
        foreach (var part in parts)
        {
            Write($"--{boundary}\r\n");
            builder.Write(part);
            Write("\r\n");
        }

        Write($"--{boundary}--\r\n");
        return builder.ToArray();
    }

    /// <summary>A MIME entity with CRLF line ends, as a signer would canonicalize it.</summary>
    public static byte[] Entity(string text) =>
        Encoding.UTF8.GetBytes($"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text.ReplaceLineEndings("\r\n")}");
}
