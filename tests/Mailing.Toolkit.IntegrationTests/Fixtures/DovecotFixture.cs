using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// A real Dovecot 2.3 (IMAP with IDLE, ACL and QUOTA; POP3; with Pigeonhole installed also LMTP delivery running
/// Sieve, and ManageSieve) on free loopback ports, in a temp folder, running as
/// <c>nobody</c>; shared by the test classes marked <c>[Collection(DovecotFixture.Collection)]</c>. Any user name logs
/// in with <see cref="Password"/> and gets its own home, so a test creates its own mailbox with
/// <see cref="CreateUser"/> and never sees another test's mail. Tests call <see cref="EnsureAvailable"/> first: where Dovecot cannot run they
/// skip, or fail in CI.
/// </summary>
public sealed class DovecotFixture : IAsyncLifetime
{
    /// <summary>The xunit collection that shares one instance.</summary>
    public const string Collection = "Dovecot";
    public const string Executable = "/usr/sbin/dovecot";
    public const string Password = "secret";

    /// <summary>A master user: logs in as any account with SASL PLAIN and that account as authorization identity.</summary>
    public const string MasterUser = "admin";
    public const string MasterPassword = "master-secret";
    private const string ManageSieveBinary = "/usr/lib/dovecot/managesieve";
    private const string LmtpBinary = "/usr/lib/dovecot/lmtp";
    private const string SqliteDriver = "/usr/lib/dovecot/modules/auth/libdriver_sqlite.so";

    private const string NobodyGroup = "65534:65534";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly Lock _users = new();
    private Process? _process;
    private string? _unavailableReason;
    private string? _sieveUnavailableReason;
    private string? _accountsUnavailableReason;
    private X509Certificate2? _certificate;
    private int _userCounter;

    public string Host => "127.0.0.1";

    public int ImapPort { get; private set; }

    public int ImapsPort { get; private set; }

    public int Pop3Port { get; private set; }

    public int Pop3sPort { get; private set; }

    /// <summary>ManageSieve (STARTTLS), when Pigeonhole is installed.</summary>
    public int SievePort { get; private set; }

    /// <summary>LMTP delivery (runs the recipient's active Sieve script), when Pigeonhole is installed.</summary>
    public int LmtpPort { get; private set; }

    /// <summary>The doveadm HTTP API (<c>http://127.0.0.1:port/doveadm/v1</c>).</summary>
    public int DoveadmPort { get; private set; }

    /// <summary>The doveadm API key of this instance (random per run).</summary>
    public string DoveadmApiKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public Uri DoveadmUrl => new($"http://{Host}:{DoveadmPort}/doveadm/v1");

    /// <summary>The SQLite database Dovecot's SQL passdb and userdb read (table <c>mail_users</c>), when dovecot-sqlite is installed.</summary>
    public string AccountsDatabase => Path.Combine(Root, "accounts.db");

    /// <summary>Where Dovecot sends what Sieve sends (vacation replies, redirects).</summary>
    public SmtpSink? Outbox { get; private set; }

    /// <summary>The temp folder holding dovecot.conf, users, mail/, run/ and the certificate.</summary>
    public string Root { get; private set; } = "";

    public string ConfigPath => Path.Combine(Root, "dovecot.conf");

    /// <summary>Everything Dovecot logged so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            try
            {
                using var stream = new FileStream(Path.Combine(Root, "dovecot.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                return new StreamReader(stream).ReadToEnd();
            }
            catch (IOException)
            {
                return "(no log)";
            }
        }
    }

    /// <summary>Skips the calling test where Dovecot cannot run here, or fails it when CI=true.</summary>
    public void EnsureAvailable()
    {
        if (_unavailableReason is not null)
            RequiredServer.Unavailable("dovecot", _unavailableReason);
    }

    /// <summary>Skips (or fails in CI) the calling test where Dovecot's SQL accounts (dovecot-sqlite) or LMTP cannot run.</summary>
    public void EnsureAccountsAvailable()
    {
        EnsureSieveAvailable();
        if (_accountsUnavailableReason is not null)
            RequiredServer.Unavailable("dovecot-sqlite", _accountsUnavailableReason);
    }

    /// <summary>Skips (or fails in CI) the calling test where Dovecot or its Sieve and LMTP parts cannot run.</summary>
    public void EnsureSieveAvailable()
    {
        EnsureAvailable();
        if (_sieveUnavailableReason is not null)
            RequiredServer.Unavailable("dovecot-sieve", _sieveUnavailableReason);
    }

    /// <summary>
    /// Delivers <paramref name="message"/> to <paramref name="recipient"/> over LMTP, as an MTA would, so the recipient's
    /// active Sieve script runs; returns the server's reply to the data (250 when delivered).
    /// </summary>
    public async Task<string> DeliverAsync(string sender, string recipient, MimeKit.MimeMessage message)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(Host, LmtpPort);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task<string> ReplyAsync()
        {
            string line;
            var all = new StringBuilder();
            do
            {
                line = await reader.ReadLineAsync() ?? throw new IOException("LMTP connection closed");
                all.AppendLine(line);
            }
            while (line.Length > 3 && line[3] == '-');
            return all.ToString().Trim();
        }

        async Task<string> CommandAsync(string command)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
            return await ReplyAsync();
        }

        static void Expect(string reply, char code, string what)
        {
            if (reply.Length == 0 || reply[0] != code)
                throw new InvalidOperationException($"LMTP {what} failed: {reply}");
        }

        Expect(await ReplyAsync(), '2', "greeting");
        Expect(await CommandAsync("LHLO localhost"), '2', "LHLO");
        Expect(await CommandAsync($"MAIL FROM:<{sender}>"), '2', "MAIL FROM");
        Expect(await CommandAsync($"RCPT TO:<{recipient}>"), '2', "RCPT TO");
        Expect(await CommandAsync("DATA"), '3', "DATA");
        using (var data = new MemoryStream())
        {
            using (var filtered = new MimeKit.IO.FilteredStream(data))
            {
                filtered.Add(new MimeKit.IO.Filters.Dos2UnixFilter());
                filtered.Add(new MimeKit.IO.Filters.Unix2DosFilter());
                message.WriteTo(filtered);
            }

            var text = Encoding.UTF8.GetString(data.ToArray());
            // Dot-stuffing: a line that starts with a dot gets another one.
            text = text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
            if (text.StartsWith('.'))
                text = "." + text;
            if (!text.EndsWith("\r\n", StringComparison.Ordinal))
                text += "\r\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text + ".\r\n"));
        }

        var delivered = await ReplyAsync();
        await CommandAsync("QUIT");
        return delivered;
    }

    /// <summary>
    /// True when <paramref name="certificate"/> is exactly the fixture's self-signed certificate; use it as a TLS
    /// validation callback instead of trusting any certificate.
    /// </summary>
    /// <summary>A plain MailKit client logged in as <paramref name="user"/> over STARTTLS, trusting this instance's certificate.</summary>
    public async Task<MailKit.Net.Imap.ImapClient> ConnectImapAsync(string user)
    {
        var imap = new MailKit.Net.Imap.ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => IsServerCertificate(c), CheckCertificateRevocation = false };
        try
        {
            await imap.ConnectAsync(Host, ImapPort, MailKit.Security.SecureSocketOptions.StartTls);
            await imap.AuthenticateAsync(user, Password);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }

    public bool IsServerCertificate(X509Certificate? certificate) =>
        certificate is not null && _certificate is not null &&
        certificate.GetRawCertData().AsSpan().SequenceEqual(_certificate.RawData);

    /// <summary>
    /// Creates a user with password <see cref="Password"/> and returns its login: <paramref name="prefix"/> plus a
    /// number unique in this run. <paramref name="storageQuota"/> (Dovecot syntax, for example <c>1M</c>) overrides
    /// the 10 MB default.
    /// </summary>
    public string CreateUser(string prefix = "user", string? storageQuota = null)
    {
        lock (_users)
        {
            var name = $"{prefix}{++_userCounter}";
            // Any name logs in (a static passdb); only a user with its own quota needs a line in the users file.
            if (storageQuota is not null)
            {
                File.AppendAllText(Path.Combine(Root, "users"), $"{name}:{{PLAIN}}{Password}:65534:65534::{MaildirOf(name)}::userdb_quota_rule=*:storage={storageQuota}\n");
                // Dovecot re-reads the file at most once a second: let that second pass before the first login.
                Thread.Sleep(TimeSpan.FromSeconds(1.1));
            }

            return name;
        }
    }

    /// <summary>Appends <paramref name="count"/> plain messages to <paramref name="user"/>'s INBOX in one MULTIAPPEND; returns their Message-IDs.</summary>
    public async Task<List<string>> AppendManyAsync(string user, int count)
    {
        using var imap = await ConnectImapAsync(user);
        var messages = Enumerable.Range(1, count).Select(i =>
        {
            var message = new MimeKit.MimeMessage { Subject = $"bulk {i}", MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.test") };
            message.From.Add(MimeKit.MailboxAddress.Parse("sender@example.test"));
            message.To.Add(MimeKit.MailboxAddress.Parse($"{user}@example.test"));
            message.Body = new MimeKit.TextPart("plain") { Text = $"Body of bulk {i}" };
            return message;
        }).ToList();
        await imap.Inbox.AppendAsync(messages.Select(m => (MailKit.IAppendRequest)new MailKit.AppendRequest(m)).ToList());
        await imap.DisconnectAsync(quit: true);
        return messages.Select(m => m.MessageId!).ToList();
    }

    /// <summary>How many messages <paramref name="folder"/> of <paramref name="user"/> holds (only the \Seen ones when <paramref name="seenOnly"/>).</summary>
    public async Task<int> CountAsync(string user, string folder, bool seenOnly = false)
    {
        using var imap = await ConnectImapAsync(user);
        var target = await imap.GetFolderAsync(folder);
        await target.OpenAsync(MailKit.FolderAccess.ReadOnly);
        var count = seenOnly ? (await target.SearchAsync(MailKit.Search.SearchQuery.Seen)).Count : target.Count;
        await imap.DisconnectAsync(quit: true);
        return count;
    }

    /// <summary>The home (and Maildir root, <c>Maildir/</c> below it) of <paramref name="user"/>.</summary>
    public string MaildirOf(string user) => Path.Combine(Root, "mail", user);

    /// <summary>Drops every connection of <paramref name="user"/> (<c>doveadm kick</c>), as a server restart would.</summary>
    public Task KickAsync(string user) => FixtureProcess.RunAsync("doveadm", "-c", ConfigPath, "kick", user);

    /// <summary>Runs a <c>doveadm</c> command against this instance (for example <c>mailbox status</c>).</summary>
    public Task<string> DoveadmAsync(params string[] arguments) => FixtureProcess.RunAsync("doveadm", ["-c", ConfigPath, .. arguments]);

    public async Task InitializeAsync()
    {
        _unavailableReason = FixtureProcess.WhyCannotStart(Executable, "dovecot-core dovecot-imapd dovecot-pop3d");
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
            await FixtureProcess.StopAsync(_process, StopTimeout, Executable, "-c", ConfigPath, "stop");
            _process = null;
        }

        if (Outbox is not null)
            await Outbox.DisposeAsync();
        _certificate?.Dispose();
        if (Root.Length > 0 && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    [SupportedOSPlatform("linux")]
    private async Task StartAsync()
    {
        Root = Directory.CreateTempSubdirectory("mailing-dovecot-").FullName;
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        ImapPort = FixtureProcess.GetFreeLoopbackPort();
        ImapsPort = FixtureProcess.GetFreeLoopbackPort();
        Pop3Port = FixtureProcess.GetFreeLoopbackPort();
        Pop3sPort = FixtureProcess.GetFreeLoopbackPort();
        SievePort = FixtureProcess.GetFreeLoopbackPort();
        LmtpPort = FixtureProcess.GetFreeLoopbackPort();
        _sieveUnavailableReason = File.Exists(ManageSieveBinary) && File.Exists(LmtpBinary)
            ? null
            : $"{ManageSieveBinary} or {LmtpBinary} is not installed (apt-get install dovecot-sieve dovecot-managesieved dovecot-lmtpd)";
        DoveadmPort = FixtureProcess.GetFreeLoopbackPort();
        _accountsUnavailableReason = File.Exists(SqliteDriver) ? null : $"{SqliteDriver} is not installed (apt-get install dovecot-sqlite)";
        Outbox = new SmtpSink();

        var template = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dovecot", "dovecot.conf"));
        if (_sieveUnavailableReason is null)
            template += await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dovecot", "sieve.conf"));
        var accounts = _accountsUnavailableReason is null ? await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dovecot", "accounts.conf")) : "";
        var config = new StringBuilder(template)
            .Replace("@ACCOUNTS_AUTH@", accounts)
            .Replace("@DOVEADM_KEY@", DoveadmApiKey)
            .Replace("@DOVEADM_PORT@", DoveadmPort.ToString(CultureInfo.InvariantCulture))
            .Replace("@SIEVE_PROTOCOLS@", _sieveUnavailableReason is null ? "lmtp sieve" : "")
            .Replace("@SIEVE_PORT@", SievePort.ToString(CultureInfo.InvariantCulture))
            .Replace("@LMTP_PORT@", LmtpPort.ToString(CultureInfo.InvariantCulture))
            .Replace("@SUBMISSION_PORT@", Outbox.Port.ToString(CultureInfo.InvariantCulture))
            .Replace("@DIR@", Root)
            .Replace("@PASSWORD@", Password)
            .Replace("@IMAP_PORT@", ImapPort.ToString(CultureInfo.InvariantCulture))
            .Replace("@IMAPS_PORT@", ImapsPort.ToString(CultureInfo.InvariantCulture))
            .Replace("@POP3_PORT@", Pop3Port.ToString(CultureInfo.InvariantCulture))
            .Replace("@POP3S_PORT@", Pop3sPort.ToString(CultureInfo.InvariantCulture));
        await File.WriteAllTextAsync(ConfigPath, config.ToString());
        if (_accountsUnavailableReason is null)
        {
            var sql = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "dovecot", "dovecot-sql.conf.ext"));
            await File.WriteAllTextAsync(Path.Combine(Root, "dovecot-sql.conf.ext"), sql.Replace("@DIR@", Root, StringComparison.Ordinal));
            // The table IMailAccountProvisioner creates, made here too so Dovecot finds it before the first test runs.
            using var database = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={AccountsDatabase}");
            database.Open();
            using var create = database.CreateCommand();
            create.CommandText = "CREATE TABLE IF NOT EXISTS mail_users (username VARCHAR(254) PRIMARY KEY, password VARCHAR(255) NOT NULL, quota_bytes BIGINT NULL, disabled SMALLINT NOT NULL DEFAULT 0, created_at VARCHAR(40) NOT NULL)";
            create.ExecuteNonQuery();
        }

        await File.WriteAllTextAsync(Path.Combine(Root, "users"), "");
        await File.WriteAllTextAsync(Path.Combine(Root, "master-users"), $"{MasterUser}:{{PLAIN}}{MasterPassword}\n");
        Directory.CreateDirectory(Path.Combine(Root, "mail"));
        await FixtureProcess.RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "2",
            "-keyout", Path.Combine(Root, "key.pem"), "-out", Path.Combine(Root, "cert.pem"));
        _certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(Root, "cert.pem")));
        await FixtureProcess.RunAsync("chown", "-R", NobodyGroup, Root);

        var start = new ProcessStartInfo("runuser")
        {
            ArgumentList = { "-u", "nobody", "--", Executable, "-F", "-c", ConfigPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("dovecot did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await FixtureProcess.WaitForGreetingAsync(Host, ImapPort, "* OK", StartTimeout, () => Log, () => _process.HasExited);
        await FixtureProcess.WaitForGreetingAsync(Host, Pop3Port, "+OK", StartTimeout, () => Log, () => _process.HasExited);
        if (_sieveUnavailableReason is null)
            await FixtureProcess.WaitForGreetingAsync(Host, SievePort, "\"IMPLEMENTATION\"", StartTimeout, () => Log, () => _process.HasExited);
    }
}

/// <summary>One Dovecot for every test class marked <c>[Collection(DovecotFixture.Collection)]</c>.</summary>
[CollectionDefinition(DovecotFixture.Collection)]
public sealed class DovecotCollectionDefinition : ICollectionFixture<DovecotFixture>;
