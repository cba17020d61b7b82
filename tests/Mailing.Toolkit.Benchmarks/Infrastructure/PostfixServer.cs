using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// A real Postfix on a free loopback port for the STARTTLS table, set up like the integration tests'
/// (shared/reference/postfix-*.cf) with three differences that keep it a measurement of the client:
/// every accepted message goes to the <c>discard</c> transport instead of a Maildir; the whole instance
/// lives on tmpfs (/dev/shm) so the queue file fsyncs are cheap; and it requires SMTP AUTH after STARTTLS,
/// checked by a Dovecot auth service (Postfix's usual SASL backend) run beside it as nobody.
/// </summary>
internal sealed class PostfixServer : IAsyncDisposable
{
    public const string Host = "127.0.0.1";
    public static readonly NetworkCredential Credentials = new("bench", "bench-secret");

    private const string Postfix = "/usr/sbin/postfix";
    private const string Dovecot = "/usr/sbin/dovecot";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder log = new();
    private Process? postfix;
    private Process? dovecot;

    private PostfixServer(string root, int port)
    {
        Root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The temp folder with conf/, queue/, data/, dovecot/ and the certificate.</summary>
    public string Root { get; }

    /// <summary>The self-signed certificate Postfix presents after STARTTLS.</summary>
    public X509Certificate2? Certificate { get; private set; }

    public static async Task<PostfixServer> StartAsync()
    {
        foreach (var executable in new[] { Postfix, Dovecot })
        {
            if (!File.Exists(executable))
                throw new InvalidOperationException($"{executable} is missing: apt-get install postfix dovecot-core.");
        }

        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The STARTTLS benchmarks run Debian's Postfix and Dovecot, on Linux.");

        // The postfix master switches users, and only root can do that.
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException("The STARTTLS benchmarks start Postfix, which needs root.");

        var parent = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var root = Directory.CreateDirectory(Path.Combine(parent, $"mailing-bench-postfix-{Guid.NewGuid():N}")).FullName;
        var server = new PostfixServer(root, ServerProcess.GetFreeLoopbackPort());
        try
        {
            await server.StartAsync(root).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (postfix is not null)
        {
            // "postfix stop" signals master and waits for it; StopAsync kills it only if that did not work.
            await TryRunAsync(Postfix, "-c", Path.Combine(Root, "conf"), "stop").ConfigureAwait(false);
            await ServerProcess.StopAsync(postfix, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            postfix = null;
        }

        if (dovecot is not null)
        {
            await TryRunAsync(Dovecot, "-c", Path.Combine(Root, "dovecot", "dovecot.conf"), "stop").ConfigureAwait(false);
            await ServerProcess.StopAsync(dovecot, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            dovecot = null;
        }

        Certificate?.Dispose();
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    [SupportedOSPlatform("linux")]
    private async Task StartAsync(string root)
    {
        // The postfix user and nobody must reach queue/, data/ and dovecot/ inside it.
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        var conf = Directory.CreateDirectory(Path.Combine(root, "conf")).FullName;
        var dovecotDir = Directory.CreateDirectory(Path.Combine(root, "dovecot")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "queue")); // root-owned: postfix-script creates its subfolders
        await ServerProcess.RunAsync("chown", "postfix", Directory.CreateDirectory(Path.Combine(root, "data")).FullName).ConfigureAwait(false);

        var certificatePath = Path.Combine(root, "cert.pem");
        await ServerProcess.RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "2",
            "-keyout", Path.Combine(root, "key.pem"), "-out", certificatePath).ConfigureAwait(false);
        Certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certificatePath).ConfigureAwait(false));

        // Dovecot first: smtpd asks it on every AUTH.
        await File.WriteAllTextAsync(Path.Combine(dovecotDir, "dovecot.conf"), Fill(DovecotConf)).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dovecotDir, "users"), $"{Credentials.UserName}:{{PLAIN}}{Credentials.Password}:65534:65534::/nonexistent::\n").ConfigureAwait(false);
        await ServerProcess.RunAsync("chown", "-R", "nobody:nogroup", dovecotDir).ConfigureAwait(false);
        dovecot = ServerProcess.Start("runuser", ["-u", "nobody", "--", Dovecot, "-F", "-c", Path.Combine(dovecotDir, "dovecot.conf")], log);
        await WaitForAuthSocketAsync(Path.Combine(dovecotDir, "run", "auth-postfix")).ConfigureAwait(false);

        await File.WriteAllTextAsync(Path.Combine(conf, "main.cf"), Fill(MainCf)).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(conf, "master.cf"), Fill(MasterCf)).ConfigureAwait(false);
        postfix = ServerProcess.Start(Postfix, ["-c", conf, "start-fg"], log);
        await ServerProcess.WaitForBannerAsync(Host, Port, postfix, log, StartTimeout).ConfigureAwait(false);
    }

    private async Task WaitForAuthSocketAsync(string path)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (dovecot!.HasExited || clock.Elapsed > StartTimeout)
                throw new InvalidOperationException($"Dovecot did not open {path}:\n{ServerProcess.Read(log)}\n{ReadDovecotLog()}");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private string ReadDovecotLog()
    {
        var path = Path.Combine(Root, "dovecot", "dovecot.log");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    private static async Task TryRunAsync(string fileName, params string[] arguments)
    {
        try
        {
            await ServerProcess.RunAsync(fileName, arguments).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Not running (any more): the caller's kill fallback covers the rest.
        }
    }

    private string Fill(string template) => template
        .Replace("@DIR@", Root, StringComparison.Ordinal)
        .Replace("@PORT@", Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private const string MainCf = """
        compatibility_level = 3.6
        queue_directory = @DIR@/queue
        data_directory = @DIR@/data
        command_directory = /usr/sbin
        daemon_directory = /usr/lib/postfix/sbin
        shlib_directory = /usr/lib/postfix
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = mx.example.test
        mydomain = example.test
        myorigin = $mydomain
        inet_interfaces = loopback-only
        inet_protocols = ipv4
        mydestination =
        relay_domains =
        relayhost =
        mynetworks = 127.0.0.0/8
        alias_maps =
        alias_database =
        # Accepted mail is thrown away: the table measures the SMTP client, not delivery.
        default_transport = discard:benchmark
        # Relaying needs AUTH (even from loopback), so every variant really authenticates.
        smtpd_relay_restrictions = permit_sasl_authenticated, reject
        smtpd_recipient_restrictions = permit_sasl_authenticated, reject
        smtpd_tls_cert_file = @DIR@/cert.pem
        smtpd_tls_key_file = @DIR@/key.pem
        smtpd_tls_security_level = may
        smtpd_tls_auth_only = yes
        smtpd_sasl_auth_enable = yes
        smtpd_sasl_type = dovecot
        smtpd_sasl_path = @DIR@/dovecot/run/auth-postfix
        smtputf8_enable = yes
        smtpd_forbid_bare_newline = reject
        smtpd_forbid_bare_newline_exclusions =
        maillog_file = @DIR@/maillog
        maillog_file_prefixes = @DIR@
        """;

    private const string MasterCf = """
        127.0.0.1:@PORT@ inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        tlsmgr    unix  -       -       n       1000?   1       tlsmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd
        """;

    // Only the auth service: no IMAP/POP3, no TLS (Postfix talks to it over a local socket).
    private const string DovecotConf = """
        instance_name = mailing-bench-auth
        base_dir = @DIR@/dovecot/run
        state_dir = @DIR@/dovecot/state
        log_path = @DIR@/dovecot/dovecot.log
        protocols = none
        listen = 127.0.0.1
        default_internal_user = nobody
        default_login_user = nobody
        default_internal_group = nogroup
        auth_mechanisms = plain login
        disable_plaintext_auth = no
        ssl = no
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u @DIR@/dovecot/users
        }
        userdb {
          driver = static
          args = uid=65534 gid=65534 home=/nonexistent
        }
        service auth {
          unix_listener auth-postfix {
            mode = 0666
          }
        }
        service anvil {
          chroot =
        }
        service stats {
          unix_listener stats-reader {
            mode = 0666
          }
          unix_listener stats-writer {
            mode = 0666
          }
        }
        """;
}
