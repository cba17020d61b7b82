using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.Outbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Npgsql;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>The transactional outbox: a message enqueued in the caller's transaction exists exactly when that transaction commits.</summary>
[Collection(PostgresFixture.Collection)]
public sealed class OutboxTransactionTests(PostgresFixture postgres) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mailing-outbox-tx-").FullName;

    [SkippableFact]
    public async Task PostgreSql_EnqueueInARolledBackTransaction_QueuesNothing_InACommittedOne_QueuesItOnceWithTheBusinessRow()
    {
        postgres.EnsureAvailable();
        var connectionString = await postgres.CreateDatabaseAsync();
        await using var provider = Build(b => b.UsePostgreSql(connectionString));
        var outbox = provider.GetRequiredService<IMailOutbox>();
        await outbox.GetStatisticsAsync(); // applies the schema before the business transaction
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await Execute(connection, null, "CREATE TABLE orders (id int PRIMARY KEY)");

        await using (var rolledBack = await connection.BeginTransactionAsync())
        {
            await Execute(connection, rolledBack, "INSERT INTO orders VALUES (1)");
            await outbox.EnqueueAsync(OutboxMessages.Create("order 1"), rolledBack);
            await rolledBack.RollbackAsync();
        }

        await using (var committed = await connection.BeginTransactionAsync())
        {
            await Execute(connection, committed, "INSERT INTO orders VALUES (2)");
            var queued = await outbox.EnqueueAsync(OutboxMessages.Create("order 2"), committed, new OutboxEnqueueOptions { IdempotencyKey = "order-2" });
            Assert.True(queued.Created);
            // Not visible outside the transaction before the commit.
            Assert.Empty(await outbox.ListAsync());
            await committed.CommitAsync();
        }

        var rows = await outbox.ListAsync();
        Assert.Equal("order 2", Assert.Single(rows).Subject);
        Assert.Equal(1, (await outbox.GetStatisticsAsync()).Due);
    }

    [Fact]
    public async Task Sqlite_EnqueueInARolledBackTransaction_QueuesNothing_InACommittedOne_QueuesItOnce()
    {
        var database = Path.Combine(folder, "app.db");
        await using var provider = Build(b => b.UseSqlite(database));
        var outbox = provider.GetRequiredService<IMailOutbox>();
        await outbox.GetStatisticsAsync();
        await using var connection = new SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();

        await using (var rolledBack = (SqliteTransaction)await connection.BeginTransactionAsync())
        {
            await outbox.EnqueueAsync(OutboxMessages.Create("order 1"), rolledBack);
            await rolledBack.RollbackAsync();
        }

        await using (var committed = (SqliteTransaction)await connection.BeginTransactionAsync())
        {
            await outbox.EnqueueAsync(OutboxMessages.Create("order 2"), committed);
            await committed.CommitAsync();
        }

        Assert.Equal("order 2", Assert.Single(await outbox.ListAsync()).Subject);
    }

    [Fact]
    public async Task EnqueueWithATransactionOfAnotherEngine_OrWithoutADatabase_IsRefusedWithTheEngineNamed()
    {
        await using var sqlite = Build(b => b.UseSqlite(Path.Combine(folder, "a.db")));
        await using var memory = Build(_ => { });
        await using var other = new SqliteConnection($"Data Source={Path.Combine(folder, "b.db")}");
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();

        var unsupported = await Assert.ThrowsAsync<NotSupportedException>(() => memory.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create("x"), transaction));
        Assert.Contains("UseSqlite", unsupported.Message, StringComparison.Ordinal);

        // A transaction object of another provider: the check names the one expected.
        var wrong = new WrongTransaction();
        var mismatch = await Assert.ThrowsAsync<NotSupportedException>(() => sqlite.GetRequiredService<IMailOutbox>().EnqueueAsync(OutboxMessages.Create("x"), wrong));
        Assert.Contains("SqliteTransaction", mismatch.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    private static ServiceProvider Build(Action<IMailingBuilder> storage)
    {
        var services = new ServiceCollection();
        var builder = services.AddMailing().AddOutbox(o => o.Background = false);
        storage(builder);
        return services.BuildServiceProvider();
    }

    private static async Task Execute(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync();
    }


    private sealed class WrongTransaction : System.Data.Common.DbTransaction
    {
        public override System.Data.IsolationLevel IsolationLevel => System.Data.IsolationLevel.ReadCommitted;

        protected override System.Data.Common.DbConnection? DbConnection => null;

        public override void Commit()
        {
        }

        public override void Rollback()
        {
        }
    }
}
