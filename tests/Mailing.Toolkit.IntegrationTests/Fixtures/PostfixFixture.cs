using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// A real Postfix on a free loopback port, in a temp folder, shared by the test classes marked
/// <c>[Collection(PostfixFixture.Collection)]</c>. It delivers alice@ and bob@example.test into
/// Maildirs, offers STARTTLS with a self-signed certificate, refuses relaying, and answers
/// tempfail@ with 451 4.3.0, full@ with 452 4.2.2 and nouser@ with 550 5.1.1 (all @example.test).
/// Tests call <see cref="EnsureAvailable"/> first: where Postfix cannot run they skip, or fail in CI.
/// </summary>
public sealed class PostfixFixture : IAsyncLifetime
{
    /// <summary>The xunit collection that shares one instance; see <see cref="PostfixCollectionDefinition"/>.</summary>
    public const string Collection = "Postfix";
    public const string Executable = "/usr/sbin/postfix";
    public const string Domain = "example.test";

    private const int NobodyId = 65534; // virtual_uid_maps/virtual_gid_maps in main.cf
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DefaultDeliveryTimeout = TimeSpan.FromSeconds(15);

    private readonly StringBuilder _log = new();
    private Process? _process;
    private string? _unavailableReason;
    private X509Certificate2? _certificate;

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    /// <summary>The temp folder holding conf/, queue/, data/, mail/ and the certificate.</summary>
    public string Root { get; private set; } = "";

    /// <summary>PEM certificate that Postfix presents after STARTTLS.</summary>
    public string CertificatePath => Path.Combine(Root, "cert.pem");

    public string AliceMaildir => MaildirOf("alice");

    public string BobMaildir => MaildirOf("bob");

    /// <summary>Everything Postfix logged so far (maillog_file = /dev/stdout), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>Maildir root of <c>user@example.test</c> (cur/, new/, tmp/ appear at first delivery).</summary>
    public string MaildirOf(string user) => Path.Combine(Root, "mail", Domain, user);

    /// <summary>Skips the calling test where Postfix cannot run here, or fails it when CI=true.</summary>
    public void EnsureAvailable()
    {
        if (_unavailableReason is not null)
            RequiredServer.Unavailable("postfix", _unavailableReason);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> is exactly the fixture's self-signed certificate;
    /// use it as a TLS validation callback instead of trusting any certificate.
    /// </summary>
    public bool IsServerCertificate(X509Certificate? certificate) =>
        certificate is not null && _certificate is not null &&
        certificate.GetRawCertData().AsSpan().SequenceEqual(_certificate.RawData);

    /// <summary>Files in the Maildir's new/ folder, sorted by name (Maildir names start with the delivery time).</summary>
    public IReadOnlyList<string> NewMessages(string maildir)
    {
        var folder = Path.Combine(maildir, "new");
        return Directory.Exists(folder) ? Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToArray() : [];
    }

    /// <summary>
    /// Polls until the Maildir's new/ folder holds at least <paramref name="count"/> files and returns
    /// them. Postfix writes into tmp/ and then moves the file into new/, so a listed file is complete.
    /// </summary>
    /// <exception cref="TimeoutException">Fewer files arrived in time; the message carries the Postfix log.</exception>
    public async Task<IReadOnlyList<string>> WaitForNewMessagesAsync(
        string maildir, int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? DefaultDeliveryTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var files = NewMessages(maildir);
            if (files.Count >= count)
                return files;
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException(
                    $"Expected {count} message(s) in {maildir}/new within {limit.TotalSeconds}s, found {files.Count}. Postfix log:\n{Log}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public async Task InitializeAsync()
    {
        // macOS has /usr/sbin/postfix too, but this setup (users, paths, chown) is Debian's; master switches to the
        // postfix user and virtual(8) delivers as nobody, which takes root.
        _unavailableReason = FixtureProcess.WhyCannotStart(Executable, "postfix");
        if (_unavailableReason is not null || !OperatingSystem.IsLinux()) // the platform check again, for the analyzer
            return;

        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            // "postfix stop" signals master and waits until it is gone (~0.1 s here); kill only as a fallback.
            await FixtureProcess.StopAsync(_process, StopTimeout, Executable, "-c", Path.Combine(Root, "conf"), "stop");
            _process = null;
        }

        _certificate?.Dispose();
        if (Root.Length > 0 && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    [SupportedOSPlatform("linux")]
    private async Task StartAsync()
    {
        Root = Directory.CreateTempSubdirectory("mailing-postfix-").FullName;
        // CreateTempSubdirectory makes it 0700; the postfix and nobody users must reach queue/ and mail/.
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        Port = FixtureProcess.GetFreeLoopbackPort();

        var conf = Directory.CreateDirectory(Path.Combine(Root, "conf")).FullName;
        var templates = Path.Combine(AppContext.BaseDirectory, "Fixtures", "postfix");
        foreach (var template in Directory.GetFiles(templates))
        {
            var text = (await File.ReadAllTextAsync(template))
                .Replace("@DIR@", Root, StringComparison.Ordinal)
                .Replace("@PORT@", Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(conf, Path.GetFileName(template)), text);
        }

        // Ownership that "postfix check" expects: queue/ root-owned (postfix-script creates its
        // subfolders with the right owners), data/ owned by mail_owner, mail/ by the delivery user.
        Directory.CreateDirectory(Path.Combine(Root, "queue"));
        await FixtureProcess.RunAsync("chown", "postfix", Directory.CreateDirectory(Path.Combine(Root, "data")).FullName);
        await FixtureProcess.RunAsync("chown", $"{NobodyId}:{NobodyId}", Directory.CreateDirectory(Path.Combine(Root, "mail")).FullName);

        // smtpd reads the key while still root, so key.pem can stay 0600 root.
        await FixtureProcess.RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "2",
            "-keyout", Path.Combine(Root, "key.pem"), "-out", CertificatePath);
        _certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(CertificatePath));

        var start = new ProcessStartInfo(Executable)
        {
            ArgumentList = { "-c", conf, "start-fg" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("postfix did not start");
        _process.OutputDataReceived += (_, e) => AppendLog(e.Data);
        _process.ErrorDataReceived += (_, e) => AppendLog(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitForBannerAsync();
    }

    private Task WaitForBannerAsync() =>
        FixtureProcess.WaitForGreetingAsync(Host, Port, "220", StartTimeout, () => Log, () => _process!.HasExited);

    private void AppendLog(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }
}
