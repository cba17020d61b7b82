using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// A real PostgreSQL 15 (Debian's postgresql-15), started unprivileged as the postgres user in a temp folder on a
/// free loopback port with password (SCRAM) authentication, shared by the classes marked
/// <c>[Collection(PostgresFixture.Collection)]</c>. Each test takes a database of its own from
/// <see cref="CreateDatabaseAsync"/>. Durability settings are relaxed (fsync off): the tests kill processes, not the
/// machine. Tests call <see cref="EnsureAvailable"/> first: where PostgreSQL cannot run they skip, or fail in CI.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Collection = "PostgreSQL";
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>The superuser's password, so tests can check it never reaches a log or an exception.</summary>
    public const string Password = "pg-fixture-secret-7f3a";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder log = new();
    private Process? process;
    private string? unavailableReason;
    private int databases;

    public int Port { get; private set; }

    public string Root { get; private set; } = "";

    /// <summary>Everything the server printed so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (log)
                return log.ToString();
        }
    }

    /// <summary>The connection string of the maintenance database <c>postgres</c>.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password};Database={database};Pooling=true;Timeout=15";

    public void EnsureAvailable()
    {
        if (unavailableReason is not null)
            RequiredServer.Unavailable("postgresql-15", unavailableReason);
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        EnsureAvailable();
        var name = $"test_{Interlocked.Increment(ref databases)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task InitializeAsync()
    {
        unavailableReason = FixtureProcess.WhyCannotStart(Path.Combine(BinDirectory, "postgres"), "postgresql-15");
        if (unavailableReason is not null)
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
        if (process is { } running)
        {
            process = null;
            await FixtureProcess.StopAsync(running, TimeSpan.FromSeconds(15), "runuser", "-u", "postgres", "--", Path.Combine(BinDirectory, "pg_ctl"), "stop", "-D", Path.Combine(Root, "data"), "-m", "immediate", "-w");
        }

        if (Root.Length > 0 && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    private async Task StartAsync()
    {
        Root = Directory.CreateTempSubdirectory("mailing-postgres-").FullName;
        Port = FixtureProcess.GetFreeLoopbackPort();
        var passwordFile = Path.Combine(Root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        await FixtureProcess.RunAsync("chmod", "755", Root);
        await FixtureProcess.RunAsync("chown", "-R", "postgres:postgres", Root);
        var data = Path.Combine(Root, "data");
        await FixtureProcess.RunAsync("runuser", "-u", "postgres", "--", Path.Combine(BinDirectory, "initdb"),
            "-D", data, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");

        var info = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "-u", "postgres", "--", Path.Combine(BinDirectory, "postgres"), "-D", data, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", Root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "max_connections=300", "-c", "shared_buffers=256MB",
        })
        {
            info.ArgumentList.Add(argument);
        }

        process = Process.Start(info) ?? throw new InvalidOperationException("postgres did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (clock.Elapsed < StartTimeout && !process.HasExited)
            {
                await Task.Delay(200);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                throw new InvalidOperationException($"PostgreSQL did not accept connections on port {Port} within {StartTimeout}: {ex.Message}\n{Log}", ex);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (log)
            log.AppendLine(line);
    }
}

[CollectionDefinition(PostgresFixture.Collection)]
public sealed class PostgresCollectionDefinition : ICollectionFixture<PostgresFixture>;
