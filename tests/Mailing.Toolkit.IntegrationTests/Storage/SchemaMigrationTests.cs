using System.Collections.Concurrent;
using System.Data.Common;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Integrations;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.PostgreSql;
using Mailing.Toolkit.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using Npgsql;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>Versioned migrations on both engines, configurable names, and a database that is not there.</summary>
[Collection(PostgresFixture.Collection)]
public sealed class SchemaMigrationTests(PostgresFixture postgres) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mailing-schema-").FullName;

    [SkippableFact]
    public async Task PostgreSql_EmptyDatabase_IsMigratedToTheLatestVersion_WithEachScriptRecorded()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var provider = Build(b => b.UsePostgreSql(connectionString));

        await provider.GetRequiredService<IMailOutbox>().GetStatisticsAsync();

        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new NpgsqlConnection(connectionString), "mailing.schema_version"));
    }

    [SkippableFact]
    public async Task PostgreSql_DatabaseAtVersion1WithQueuedMail_IsUpgradedAndTheMailIsStillSent()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, "CREATE SCHEMA mailing; CREATE TABLE mailing.schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)");
            await ExecuteAsync(connection, Script(typeof(PostgreSqlStorageOptions), "0001_outbox.sql").Replace("{schema}", "mailing").Replace("{prefix}", ""));
            await ExecuteAsync(connection, "INSERT INTO mailing.schema_version VALUES (1, 'outbox', '2026-11-01T00:00:00Z')");
            await InsertVersion1RowAsync(connection, "mailing.outbox", "now()");
        }

        await using var provider = Build(b => b.UsePostgreSql(connectionString));
        var store = provider.GetRequiredService<IMailOutboxStore>();

        var lease = Assert.Single(await store.LeaseAsync(10, TimeSpan.FromMinutes(1)));
        Assert.Equal("kept@example.test", lease.MessageId);
        Assert.Equal("Queued before the upgrade", MimeMessage.Load(new MemoryStream(lease.Message.ToArray())).Subject);
        Assert.True(await provider.GetRequiredService<ISuppressionList>().AddAsync(new SuppressionEntry { Address = "a@example.test", Reason = SuppressionReason.Manual, CreatedAt = DateTimeOffset.UtcNow }));
        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new NpgsqlConnection(connectionString), "mailing.schema_version"));
    }

    [SkippableFact]
    public async Task PostgreSql_ManyInstancesStartingTogether_ApplyEachScriptOnce()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        var providers = Enumerable.Range(0, 6).Select(_ => Build(b => b.UsePostgreSql(connectionString))).ToArray();
        try
        {
            await Task.WhenAll(providers.Select(p => Task.Run(() => p.GetRequiredService<IMailOutbox>().GetStatisticsAsync())));
        }
        finally
        {
            foreach (var provider in providers)
                await provider.DisposeAsync();
        }

        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new NpgsqlConnection(connectionString), "mailing.schema_version"));
    }

    [SkippableFact]
    public async Task PostgreSql_SchemaAndPrefix_KeepTwoApplicationsApartInOneDatabase()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var first = Build(b => b.UsePostgreSql(connectionString));
        await using var second = Build(b => b.UsePostgreSql(connectionString, o => { o.Schema = "tenant_b"; o.TablePrefix = "mt_"; }));

        await first.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create());

        Assert.Single(await first.GetRequiredService<IMailOutbox>().ListAsync());
        Assert.Empty(await second.GetRequiredService<IMailOutbox>().ListAsync());
        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new NpgsqlConnection(connectionString), "tenant_b.mt_schema_version"));
        Assert.Throws<ArgumentException>(() => Build(b => b.UsePostgreSql(connectionString, o => o.Schema = "bad\"; DROP TABLE x; --")));
    }

    [SkippableFact]
    public async Task PostgreSql_MigrationsOff_OnAnEmptyDatabase_FailWithWhatToDo()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var provider = Build(b => b.UsePostgreSql(connectionString, o => o.ApplyMigrations = false));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetRequiredService<IMailOutbox>().GetStatisticsAsync());

        Assert.Contains("docs/storage.md", error.Message, StringComparison.Ordinal);
        Assert.Contains("ApplyMigrations", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresFixture.Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSql_DatabaseDown_CallsFailClearly_HealthIsUnhealthy_StartupRetries_AndThePasswordIsNeverShown()
    {
        var port = FixtureProcess.GetFreeLoopbackPort();
        var connectionString = $"Host=127.0.0.1;Port={port};Username=app;Password={PostgresFixture.Password};Database=mail;Timeout=2";
        var logs = new ConcurrentQueue<string>();
        await using var provider = Build(b => b.UsePostgreSql(connectionString), logs);
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
            await service.StartAsync(CancellationToken.None);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => provider.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create()));
        var health = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["mailing.outbox"];
        for (var i = 0; i < 100 && !logs.Any(l => l.Contains("7101", StringComparison.Ordinal)); i++)
            await Task.Delay(50);
        foreach (var service in hosted.Reverse())
            await service.StopAsync(CancellationToken.None);

        Assert.IsAssignableFrom<NpgsqlException>(error);
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains($"127.0.0.1:{port}", health.Description, StringComparison.Ordinal);
        Assert.Contains(logs, l => l.Contains("7101", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.Contains(PostgresFixture.Password, StringComparison.Ordinal));
        Assert.DoesNotContain(PostgresFixture.Password, health.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresFixture.Password, provider.GetRequiredService<IMailOutboxStore>().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlite_DatabaseAtVersion1WithQueuedMail_IsUpgradedAndTheMailIsStillSent()
    {
        var database = Path.Combine(folder, "v1.db");
        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await ExecuteAsync(connection, "CREATE TABLE \"mailing_schema_version\" (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)");
            await ExecuteAsync(connection, Script(typeof(SqliteStorageOptions), "0001_outbox.sql").Replace("{prefix}", "mailing_"));
            await ExecuteAsync(connection, "INSERT INTO mailing_schema_version VALUES (1, 'outbox', '2026-11-01T00:00:00Z')");
            await InsertVersion1RowAsync(connection, "mailing_outbox", "0");
        }

        await using var provider = Build(b => b.UseSqlite(database));

        var lease = Assert.Single(await provider.GetRequiredService<IMailOutboxStore>().LeaseAsync(10, TimeSpan.FromMinutes(1)));
        Assert.Equal("kept@example.test", lease.MessageId);
        Assert.True(await provider.GetRequiredService<Mailing.Toolkit.AutoResponding.IAutoReplyHistory>().TryRecordAsync("a@example.test", "b@example.test", DateTimeOffset.UtcNow, TimeSpan.FromHours(1)));
        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new SqliteConnection($"Data Source={database}"), "mailing_schema_version"));
    }

    [SkippableFact]
    public async Task PostgreSql_CurrentSchema_AnApplicationRoleWithoutCreateRights_StartsWithMigrationsOn()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using (var owner = Build(b => b.UsePostgreSql(connectionString)))
            await owner.GetRequiredService<IMailOutbox>().GetStatisticsAsync();
        var role = "app_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync();
            await ExecuteAsync(admin,
                $"CREATE ROLE {role} LOGIN PASSWORD 'app-secret'; REVOKE CREATE ON SCHEMA public FROM PUBLIC; " +
                $"GRANT USAGE ON SCHEMA mailing TO {role}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA mailing TO {role}; " +
                $"REVOKE CREATE ON DATABASE \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" FROM PUBLIC");
        }

        var appConnection = new NpgsqlConnectionStringBuilder(connectionString) { Username = role, Password = "app-secret" }.ConnectionString;
        await using var app = Build(b => b.UsePostgreSql(appConnection));

        var queued = await app.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create());
        Assert.True(queued.Created);
    }

    [SkippableFact]
    public async Task TwoEngines_EachBacksTheStoresItWasGiven()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var provider = Build(b => b
            .UsePostgreSql(connectionString, o => o.Stores = MailingStores.Outbox)
            .UseSqlite(Path.Combine(folder, "positions.db"), o => o.Stores = MailingStores.MailboxState));

        await provider.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create());
        await provider.GetRequiredService<Mailing.Toolkit.Receiving.IMailboxStateStore>().UpdateAsync("k", _ => new Mailing.Toolkit.Receiving.MailboxState { LastUid = 5 });

        Assert.StartsWith("outbox \"mailing\".\"outbox\" in the PostgreSQL database", provider.GetRequiredService<IMailOutboxStore>().ToString(), StringComparison.Ordinal);
        Assert.StartsWith("mailbox state \"mailing_mailbox_state\" in the SQLite database", provider.GetRequiredService<Mailing.Toolkit.Receiving.IMailboxStateStore>().ToString(), StringComparison.Ordinal);
        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new NpgsqlConnection(connectionString), "mailing.schema_version"));
        Assert.Equal(new[] { 1, 2, 3 }, await VersionsAsync(new SqliteConnection($"Data Source={Path.Combine(folder, "positions.db")}"), "mailing_schema_version"));
    }

    [Fact]
    public void Sqlite_BadPrefixOrConnectionString_FailsAtComposition()
    {
        Assert.Contains("TablePrefix", Assert.Throws<ArgumentException>(() => Build(b => b.UseSqlite(Path.Combine(folder, "x.db"), o => o.TablePrefix = "Bad-Prefix"))).Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => Build(b => b.UseSqlite("Data Source=")));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    private static ServiceProvider Build(Action<IMailingBuilder> storage, ConcurrentQueue<string>? logs = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(l => { if (logs is not null) l.AddProvider(new QueueLoggerProvider(logs)); });
        var builder = services.AddMailing().AddOutbox(o => o.Background = false);
        storage(builder);
        return services.BuildServiceProvider();
    }

    private static string Script(Type package, string name)
    {
        var resource = package.Assembly.GetManifestResourceNames().Single(n => n.EndsWith(".Migrations." + name, StringComparison.Ordinal));
        using var reader = new StreamReader(package.Assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd();
    }

    /// <summary>A row as version 1 of the schema stores it, written by hand as an older build of the package would have.</summary>
    private static async Task InsertVersion1RowAsync(DbConnection connection, string table, string now)
    {
        var message = OutboxMessages.Create("Queued before the upgrade");
        message.MessageId = "kept@example.test";
        using var bytes = new MemoryStream();
        message.WriteTo(bytes);
        await using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {table} (message_id, state, priority, subject, recipients, message, size, created_at, due_at, attempts) VALUES ('kept@example.test', 0, 0, 'Queued before the upgrade', 'bob@example.test', @message, @size, {now}, {now}, 0)";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "message";
        parameter.Value = bytes.ToArray();
        command.Parameters.Add(parameter);
        var size = command.CreateParameter();
        size.ParameterName = "size";
        size.Value = (int)bytes.Length;
        command.Parameters.Add(size);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int[]> VersionsAsync(DbConnection connection, string table)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT version FROM {table} ORDER BY version";
            var versions = new List<int>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                versions.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            return [.. versions];
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }


    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(lines);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{eventId.Id} {formatter(state, exception)} {exception}");
        }
    }
}
