using System.Diagnostics;
using System.Globalization;
using System.Text;
using DnsClient;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// A real dnsmasq (Debian's <c>dnsmasq-base</c>) answering on a free loopback port (UDP and TCP) for the zone
/// <c>example.test</c> only, with the SPF, DKIM and DMARC records the tests need and a query log to count what
/// reached the server. The DKIM key pair is made at start; <see cref="DkimPrivateKeyPem"/> signs for
/// <c>sel._domainkey.example.test</c>. Tests call <see cref="EnsureAvailable"/> first.
/// </summary>
public sealed class DnsmasqFixture : IAsyncLifetime
{
    public const string Collection = "dnsmasq";
    public const string Executable = "/usr/sbin/dnsmasq";
    public const string Domain = "example.test";
    public const string Selector = "sel";

    private readonly StringBuilder output = new();
    private Process? process;
    private string? unavailableReason;

    public int Port { get; private set; }

    public string Root { get; private set; } = "";

    public string DkimPrivateKeyPem { get; private set; } = "";

    public string Server => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The lines of dnsmasq's query log so far.</summary>
    public string[] QueryLog => File.Exists(Path.Combine(Root, "dnsmasq.log")) ? File.ReadAllLines(Path.Combine(Root, "dnsmasq.log")) : [];

    /// <summary>How many queries of <paramref name="type"/> for <paramref name="name"/> reached the server.</summary>
    public int QueriesFor(string type, string name) =>
        QueryLog.Count(l => l.Contains($"query[{type}] {name} ", StringComparison.Ordinal));

    public void EnsureAvailable()
    {
        if (unavailableReason is not null)
            RequiredServer.Unavailable("dnsmasq", unavailableReason);
    }

    public async Task InitializeAsync()
    {
        unavailableReason = FixtureProcess.WhyCannotStart(Executable, "dnsmasq-base");
        if (unavailableReason is not null)
            return;
        Root = Directory.CreateTempSubdirectory("mailing-dnsmasq-").FullName;
        Port = FixtureProcess.GetFreeLoopbackPort();
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        DkimPrivateKeyPem = rsa.ExportRSAPrivateKeyPem();
        var publicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        await File.WriteAllTextAsync(Path.Combine(Root, "dnsmasq.conf"), Config(publicKey));

        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--keep-in-foreground");
        info.ArgumentList.Add("--conf-file=" + Path.Combine(Root, "dnsmasq.conf"));
        process = Process.Start(info) ?? throw new InvalidOperationException("dnsmasq did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilAnsweringAsync();
    }

    public async Task DisposeAsync()
    {
        if (process is { } running)
        {
            process = null;
            await FixtureProcess.StopAsync(running, TimeSpan.FromSeconds(10), "kill", "-TERM", running.Id.ToString(CultureInfo.InvariantCulture));
        }

        if (Root.Length > 0 && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    private string Config(string publicKey)
    {
        // TXT strings hold at most 255 bytes: the key record is split, and the resolver joins the pieces again.
        var key = "v=DKIM1; k=rsa; p=" + publicKey;
        var pieces = string.Join(',', key.Chunk(200).Select(c => $"\"{new string(c)}\""));
        return $"""
            port={Port}
            listen-address=127.0.0.1
            bind-interfaces
            no-resolv
            no-hosts
            no-poll
            user=root
            local-ttl=300
            log-queries
            log-facility={Path.Combine(Root, "dnsmasq.log")}
            pid-file={Path.Combine(Root, "dnsmasq.pid")}
            local=/{Domain}/
            local=/test/
            address=/mail.{Domain}/127.0.0.1
            mx-host={Domain},mail.{Domain},10
            txt-record={Domain},"v=spf1 ip4:127.0.0.0/8 -all"
            txt-record=_dmarc.{Domain},"v=DMARC1; p=reject; adkim=s; aspf=r"
            txt-record={Selector}._domainkey.{Domain},{pieces}
            txt-record=loop.{Domain},"v=spf1 include:loop.{Domain} -all"
            txt-record=_dmarc.loop.{Domain},"v=DMARC1; p=quarantine"
            """;
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var client = new LookupClient(new LookupClientOptions(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Port)) { UseCache = false, Timeout = TimeSpan.FromMilliseconds(500), Retries = 0 });
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process is null || process.HasExited)
                throw new InvalidOperationException($"dnsmasq exited while starting:\n{Output}");
            try
            {
                var answer = await client.QueryAsync(Domain, QueryType.TXT);
                if (answer.Answers.Count > 0)
                    return;
            }
            catch (DnsResponseException)
            {
                // Not listening yet.
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException($"dnsmasq did not answer within 20 s:\n{Output}");
            await Task.Delay(100);
        }
    }

    private string Output
    {
        get
        {
            lock (output)
                return output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }
}

[CollectionDefinition(DnsmasqFixture.Collection)]
public sealed class DnsmasqCollectionDefinition : ICollectionFixture<DnsmasqFixture>;
