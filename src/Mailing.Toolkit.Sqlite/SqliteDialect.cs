using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Mailing.Toolkit.Storage;
using Microsoft.Data.Sqlite;

namespace Mailing.Toolkit.Sqlite;

/// <summary>
/// SQLite: tables named with the prefix, times as microseconds since the Unix epoch, WAL journaling. SQLite has
/// one writer at a time, so the lease (a single UPDATE ... RETURNING) cannot hand a row to two workers, and writes
/// that read first begin with <c>BEGIN IMMEDIATE</c>.
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    private const long UnixEpochTicks = 621355968000000000;
    private static readonly object Configured = new();
    private readonly ConditionalWeakTable<object, object> configured = new();
    private readonly string connectionString;
    private readonly string prefix;

    public SqliteDialect(SqliteStorageOptions options)
    {
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (string.IsNullOrWhiteSpace(builder.DataSource))
            throw new ArgumentException("The SQLite connection string names no Data Source (the database file).", nameof(options));
        connectionString = builder.ConnectionString;
        prefix = CheckIdentifier(options.TablePrefix, "TablePrefix", allowEmpty: true);
        Description = $"SQLite database {builder.DataSource}";
    }

    public override string Engine => "SQLite";

    public override string Description { get; }

    public override DbType TimeType => DbType.Int64;

    public override string Table(string name) => $"\"{prefix}{name}\"";

    public override string TableReference(string name) => Table(name);

    public override string LeaseStatement(string table) =>
        $"UPDATE {table} SET state = 1, lease_token = @token, due_at = @until, attempts = attempts + 1, last_attempt_at = @now " +
        $"WHERE id IN (SELECT id FROM {table} WHERE state IN (0, 1) AND due_at <= @now ORDER BY priority DESC, due_at, id LIMIT @count) " +
        "RETURNING id, attempts, message_id, sender_key, message, envelope";

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // WAL makes a commit durable against a crash of the process (not of the machine) without a full sync. The
            // setting lives on the native connection, which the pool keeps: set once per native connection.
            if (connection.Handle is { } handle && !configured.TryGetValue(handle, out _))
            {
                using var pragma = Command(connection, "PRAGMA synchronous = NORMAL");
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                configured.AddOrUpdate(handle, Configured);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override Task LockMigrationsAsync(DbTransaction transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask; // BEGIN IMMEDIATE already holds the database's write lock.

    public override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using var command = Command(connection, "PRAGMA journal_mode = WAL");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void CheckCallerTransaction(DbTransaction transaction)
    {
        if (transaction is not SqliteTransaction)
            throw new NotSupportedException($"The SQLite outbox enqueues in a Microsoft.Data.Sqlite SqliteTransaction; this transaction is a {transaction.GetType().FullName}.");
    }

    public override string ExpandScript(string script) => script.Replace("{prefix}", prefix, StringComparison.Ordinal);

    public override object Time(DateTimeOffset value) => (value.UtcTicks - UnixEpochTicks) / 10;

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        new(UnixEpochTicks + (reader.GetInt64(ordinal) * 10), TimeSpan.Zero);
}
