using System.Data;
using System.Data.Common;
using Mailing.Toolkit.Storage;
using Npgsql;

namespace Mailing.Toolkit.PostgreSql;

/// <summary>
/// PostgreSQL: tables in their own schema, <c>timestamptz</c> times, the lease by <c>FOR UPDATE SKIP LOCKED</c> (so
/// concurrent workers take disjoint rows without waiting on each other) and migrations under a transaction-scoped
/// advisory lock keyed by the schema name.
/// </summary>
internal sealed class PostgreSqlDialect : SqlDialect
{
    // The first key of the two-key advisory lock: "MTKS", so our lock does not meet an application's own.
    private const int AdvisoryLockNamespace = 0x4D544B53;
    private readonly NpgsqlDataSource dataSource;
    private readonly string schema;
    private readonly string prefix;

    public PostgreSqlDialect(NpgsqlDataSource dataSource, PostgreSqlStorageOptions options)
    {
        this.dataSource = dataSource;
        schema = CheckIdentifier(options.Schema, "Schema", allowEmpty: false);
        prefix = CheckIdentifier(options.TablePrefix, "TablePrefix", allowEmpty: true);
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Description = $"PostgreSQL database {builder.Database ?? "(default)"} on {builder.Host ?? "(default)"}:{builder.Port} as {builder.Username ?? "(default)"}, schema {schema}";
    }

    public override string Engine => "PostgreSQL";

    public override string Description { get; }

    public override DbType TimeType => DbType.DateTimeOffset;

    public override string Table(string name) => $"\"{schema}\".\"{prefix}{name}\"";

    public override string TableReference(string name) => $"\"{prefix}{name}\"";

    public override string LeaseStatement(string table) =>
        $"UPDATE {table} AS o SET state = 1, lease_token = @token, due_at = @until, attempts = o.attempts + 1, last_attempt_at = @now " +
        $"FROM (SELECT id FROM {table} WHERE state IN (0, 1) AND due_at <= @now ORDER BY priority DESC, due_at, id LIMIT @count FOR UPDATE SKIP LOCKED) AS due " +
        "WHERE o.id = due.id RETURNING o.id, o.attempts, o.message_id, o.sender_key, o.message, o.envelope";

    public override string CompleteManyStatement(string table, int count)
    {
        var rows = new System.Text.StringBuilder(count * 160);
        for (var i = 0; i < count; i++)
        {
            rows.Append(i == 0 ? string.Empty : ", ").Append(System.Globalization.CultureInfo.InvariantCulture,
                $"(@id{i}::bigint, @token{i}::uuid, @state{i}::smallint, @due{i}::timestamptz, @finished{i}::timestamptz, @error{i}::text, @response{i}::text)");
        }

        return $"UPDATE {table} AS o SET state = v.state, due_at = v.due, finished_at = v.finished, " +
            "last_error = COALESCE(v.error, o.last_error), response = COALESCE(v.response, o.response), lease_token = NULL " +
            $"FROM (VALUES {rows}) AS v(id, token, state, due, finished, error, response) " +
            "WHERE o.id = v.id AND o.lease_token = v.token AND o.state = 1 RETURNING o.id, v.token";
    }

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    public override async Task LockMigrationsAsync(DbTransaction transaction, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        using (var command = Command(connection, "SELECT pg_advisory_xact_lock(@namespace, hashtext(@schema))", transaction))
        {
            Add(command, "namespace", AdvisoryLockNamespace, DbType.Int32);
            Add(command, "schema", schema, DbType.String);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Under the lock: two instances starting together would otherwise race on creating the schema.
        using var create = Command(connection, $"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", transaction);
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public override void CheckCallerTransaction(DbTransaction transaction)
    {
        if (transaction is not NpgsqlTransaction)
            throw new NotSupportedException($"The PostgreSQL outbox enqueues in an Npgsql NpgsqlTransaction; this transaction is a {transaction.GetType().FullName}.");
    }

    public override string ExpandScript(string script) =>
        script.Replace("{schema}", schema, StringComparison.Ordinal).Replace("{prefix}", prefix, StringComparison.Ordinal);

    public override object Time(DateTimeOffset value) => ToMicroseconds(value);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);
}
