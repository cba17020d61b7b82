using System.Data;
using System.Data.Common;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.Outbox.Internal;
using MimeKit;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// The outbox on a SQL table. A row is leased by one statement that marks it <c>Sending</c>, sets a fresh token and
/// moves its due time to the lease's end, so an expired lease is simply a due row again; every outcome is written
/// only where the token still matches.
/// </summary>
internal sealed class SqlOutboxStore(SqlDialect dialect, SqlSchema schema, TimeProvider time, string? defaultFrom, int maxMessageBytes) : IMailOutboxStore
{
    private const string Columns = "id, message_id, state, subject, recipients, sender_key, priority, idempotency_key, size, created_at, due_at, attempts, finished_at, last_error, response";

    private readonly string table = dialect.Table("outbox");

    private readonly string completeStatement =
        $"UPDATE {dialect.Table("outbox")} SET state = @state, due_at = @due, finished_at = @finished, " +
        "last_error = COALESCE(@error, last_error), response = COALESCE(@response, response), lease_token = NULL " +
        $"WHERE id = @id AND lease_token = @token AND state = {(int)OutboxState.Sending}";

    public async Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var entry = OutboxEntry.Create(message, options ??= new OutboxEnqueueOptions(), defaultFrom, maxMessageBytes);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await InsertAsync(connection, null, entry, options, cancellationToken).ConfigureAwait(false);
    }

    public async Task<OutboxEnqueueResult> EnqueueAsync(MimeMessage message, DbTransaction transaction, OutboxEnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        dialect.CheckCallerTransaction(transaction);
        var connection = transaction.Connection
            ?? throw new ArgumentException("The transaction has no connection: it was already committed or rolled back.", nameof(transaction));
        var entry = OutboxEntry.Create(message, options ??= new OutboxEnqueueOptions(), defaultFrom, maxMessageBytes);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        return await InsertAsync(connection, transaction, entry, options, cancellationToken).ConfigureAwait(false);
    }

    public async Task<OutboxMessage?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, $"SELECT {Columns} FROM {table} WHERE id = @id");
        SqlDialect.Add(command, "id", id, DbType.Int64);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadMessage(reader) : null;
    }

    public async Task<IReadOnlyList<OutboxMessage>> ListAsync(OutboxQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new OutboxQuery();
        var limit = OutboxQueries.CheckLimit(query);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var where = new List<string>(2);
        if (query.State is not null)
            where.Add("state = @state");
        if (query.BeforeId is not null)
            where.Add("id < @before");
        var filter = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
        using var command = SqlDialect.Command(connection, $"SELECT {Columns} FROM {table}{filter} ORDER BY id DESC LIMIT @limit");
        if (query.State is { } state)
            SqlDialect.Add(command, "state", (short)state, DbType.Int16);
        if (query.BeforeId is { } before)
            SqlDialect.Add(command, "before", before, DbType.Int64);
        SqlDialect.Add(command, "limit", limit, DbType.Int32);
        var page = new List<OutboxMessage>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            page.Add(ReadMessage(reader));
        return page;
    }

    public Task<bool> CancelAsync(long id, CancellationToken cancellationToken = default) =>
        UpdateOneAsync($"UPDATE {table} SET state = {(int)OutboxState.Cancelled}, finished_at = @now " +
            $"WHERE id = @id AND state IN ({(int)OutboxState.Queued}, {(int)OutboxState.Failed}, {(int)OutboxState.MaybeDelivered})", id, cancellationToken);

    public Task<bool> RequeueAsync(long id, CancellationToken cancellationToken = default) =>
        UpdateOneAsync(
            $"UPDATE {table} SET state = {(int)OutboxState.Queued}, due_at = @now, attempts = 0, finished_at = NULL, lease_token = NULL " +
            $"WHERE id = @id AND state IN ({(int)OutboxState.Failed}, {(int)OutboxState.MaybeDelivered}, {(int)OutboxState.Cancelled})",
            id,
            cancellationToken);

    public async Task<int> PurgeAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, $"DELETE FROM {table} WHERE state IN ({(int)OutboxState.Sent}, {(int)OutboxState.Cancelled}) AND finished_at < @before");
        dialect.AddTime(command, "before", finishedBefore);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        const string Pending = "state IN (0, 1)";
        using var command = SqlDialect.Command(connection,
            $"SELECT (SELECT COUNT(*) FROM {table} WHERE {Pending}), " +
            $"(SELECT COUNT(*) FROM {table} WHERE {Pending} AND due_at <= @now), " +
            $"(SELECT MIN(due_at) FROM {table} WHERE {Pending} AND due_at <= @now), " +
            $"(SELECT COUNT(*) FROM {table} WHERE state = {(int)OutboxState.Failed}), " +
            $"(SELECT COUNT(*) FROM {table} WHERE state = {(int)OutboxState.MaybeDelivered})");
        dialect.AddTime(command, "now", time.GetUtcNow());
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new OutboxStatistics
        {
            Pending = reader.GetInt64(0),
            Due = reader.GetInt64(1),
            OldestDueAt = dialect.ReadNullableTime(reader, 2),
            Failed = reader.GetInt64(3),
            MaybeDelivered = reader.GetInt64(4),
        };
    }

    public async Task<IReadOnlyList<OutboxLease>> LeaseAsync(int maxCount, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var token = Guid.NewGuid();
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, dialect.LeaseStatement(table));
        dialect.AddTime(command, "now", now);
        dialect.AddTime(command, "until", now + leaseDuration);
        SqlDialect.Add(command, "token", token, DbType.Guid);
        SqlDialect.Add(command, "count", maxCount, DbType.Int32);
        var leases = new List<OutboxLease>(maxCount);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            leases.Add(new OutboxLease(
                reader.GetInt64(0),
                token,
                reader.GetInt32(1),
                reader.GetString(2),
                SqlDialect.ReadNullableString(reader, 3),
                (byte[])reader.GetValue(4),
                SqlDialect.ReadNullableString(reader, 5)));
        }

        return leases;
    }

    public async Task<bool> CompleteAsync(OutboxLease lease, OutboxCompletion completion, CancellationToken cancellationToken = default) =>
        (await CompleteAsync([new OutboxOutcome(lease, completion)], cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<bool>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var recorded = new bool[outcomes.Count];
        if (outcomes.Count == 0)
            return recorded;
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (outcomes.Count > 1 && dialect.CompleteManyStatement(table, outcomes.Count) is { } many)
        {
            // One statement for the whole batch: the rows whose lease still held come back.
            using var command = SqlDialect.Command(connection, many);
            for (var i = 0; i < outcomes.Count; i++)
                BindCompletion(command.Parameters, command.CreateParameter, outcomes[i], now, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // By id and token: a row taken over from an expired lease may be in the batch under both leases.
            var updated = new HashSet<(long, Guid)>();
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    updated.Add((reader.GetInt64(0), reader.GetGuid(1)));
            }

            for (var i = 0; i < recorded.Length; i++)
                recorded[i] = updated.Contains((outcomes[i].Lease.Id, outcomes[i].Lease.Token));
            return recorded;
        }

        // One transaction (SQLite: one commit for the batch).
        using var transaction = outcomes.Count > 1 ? await dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false) : null;
        for (var i = 0; i < recorded.Length; i++)
        {
            using var command = SqlDialect.Command(connection, completeStatement, transaction);
            BindCompletion(command.Parameters, command.CreateParameter, outcomes[i], now);
            recorded[i] = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (transaction is not null)
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return recorded;
    }

    public override string ToString() => $"outbox {table} in the {dialect.Description}";

    private async Task<OutboxEnqueueResult> InsertAsync(DbConnection connection, DbTransaction? transaction, OutboxEntry entry, OutboxEnqueueOptions options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        long? id;
        using (var insert = SqlDialect.Command(connection,
            $"INSERT INTO {table} (message_id, state, priority, sender_key, idempotency_key, subject, recipients, envelope, message, size, created_at, due_at, attempts) " +
            "VALUES (@message_id, 0, @priority, @sender_key, @key, @subject, @recipients, @envelope, @message, @size, @now, @due, 0) " +
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            transaction))
        {
            SqlDialect.Add(insert, "message_id", entry.MessageId, DbType.String);
            SqlDialect.Add(insert, "priority", options.Priority, DbType.Int32);
            SqlDialect.Add(insert, "sender_key", options.SenderKey, DbType.String);
            SqlDialect.Add(insert, "key", options.IdempotencyKey, DbType.String);
            SqlDialect.Add(insert, "subject", entry.Subject, DbType.String);
            SqlDialect.Add(insert, "recipients", entry.Recipients, DbType.String);
            SqlDialect.Add(insert, "envelope", entry.Envelope, DbType.String);
            SqlDialect.Add(insert, "message", entry.Content, DbType.Binary);
            SqlDialect.Add(insert, "size", entry.Content.Length, DbType.Int32);
            dialect.AddTime(insert, "now", now);
            dialect.AddTime(insert, "due", options.NotBefore is { } notBefore && notBefore > now ? notBefore : now);
            id = await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : null;
        }

        if (id is { } created)
            return new OutboxEnqueueResult(created, entry.MessageId, true);

        // The idempotency key is already queued: hand back the row that holds it.
        using var existing = SqlDialect.Command(connection, $"SELECT id, message_id FROM {table} WHERE idempotency_key = @key", transaction);
        SqlDialect.Add(existing, "key", options.IdempotencyKey, DbType.String);
        using var reader = await existing.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            throw new InvalidOperationException($"The outbox refused a row for idempotency key '{options.IdempotencyKey}' but holds none with it.");
        return new OutboxEnqueueResult(reader.GetInt64(0), reader.GetString(1), false);
    }

    /// <summary>Binds one outcome's parameters, named with <paramref name="suffix"/> (for the rows of a batch statement).</summary>
    private void BindCompletion(DbParameterCollection parameters, Func<DbParameter> create, OutboxOutcome outcome, DateTimeOffset now, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var completion = outcome.Completion;
        var queued = completion.State == OutboxState.Queued;
        SqlDialect.Add(parameters, create(), "state" + suffix, (short)completion.State, DbType.Int16);
        dialect.AddTime(parameters, create(), "due" + suffix, queued ? completion.RetryAt ?? now : now);
        dialect.AddTime(parameters, create(), "finished" + suffix, queued ? null : now);
        SqlDialect.Add(parameters, create(), "error" + suffix, completion.Error, DbType.String);
        SqlDialect.Add(parameters, create(), "response" + suffix, completion.Response, DbType.String);
        SqlDialect.Add(parameters, create(), "id" + suffix, outcome.Lease.Id, DbType.Int64);
        SqlDialect.Add(parameters, create(), "token" + suffix, outcome.Lease.Token, DbType.Guid);
    }

    private async Task<bool> UpdateOneAsync(string sql, long id, CancellationToken cancellationToken)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, sql);
        SqlDialect.Add(command, "id", id, DbType.Int64);
        dialect.AddTime(command, "now", time.GetUtcNow());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private OutboxMessage ReadMessage(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        MessageId = reader.GetString(1),
        State = (OutboxState)Convert.ToInt32(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture),
        Subject = SqlDialect.ReadNullableString(reader, 3),
        Recipients = SqlDialect.ReadNullableString(reader, 4),
        SenderKey = SqlDialect.ReadNullableString(reader, 5),
        Priority = reader.GetInt32(6),
        IdempotencyKey = SqlDialect.ReadNullableString(reader, 7),
        Size = reader.GetInt32(8),
        CreatedAt = dialect.ReadTime(reader, 9),
        DueAt = dialect.ReadTime(reader, 10),
        Attempts = reader.GetInt32(11),
        FinishedAt = dialect.ReadNullableTime(reader, 12),
        LastError = SqlDialect.ReadNullableString(reader, 13),
        Response = SqlDialect.ReadNullableString(reader, 14),
    };
}
