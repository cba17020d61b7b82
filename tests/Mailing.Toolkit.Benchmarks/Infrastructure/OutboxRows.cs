using Mailing.Toolkit.Outbox;
using Microsoft.Data.Sqlite;
using MimeKit;
using Npgsql;
using NpgsqlTypes;

namespace Mailing.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// One outbox row written by hand, as a user without the library would: the message serialized once in the setup
/// (so the raw baselines never pay for MimeKit), the same 13 columns and values the outbox's INSERT writes
/// (migration 0001's layout), plain parameterized INSERT ... RETURNING id, no ON CONFLICT clause.
/// </summary>
internal sealed class OutboxRow
{
    public const string Columns = "message_id, state, priority, sender_key, idempotency_key, subject, recipients, envelope, message, size, created_at, due_at, attempts";

    private const string PostgreSqlInsert =
        "INSERT INTO mailing.outbox (" + Columns + ") VALUES (@message_id, 0, 0, @sender_key, @key, @subject, @recipients, @envelope, @message, @size, @now, @now, 0) RETURNING id";

    private const string SqliteInsert =
        "INSERT INTO mailing_outbox (" + Columns + ") VALUES ($message_id, 0, 0, $sender_key, $key, $subject, $recipients, $envelope, $message, $size, $now, $now, 0) RETURNING id";

    // The outbox's own statement shape (SqlOutboxStore.InsertAsync), for the rows that isolate its cost.
    private const string SqliteUpsert =
        "INSERT INTO \"mailing_outbox\" (" + Columns + ") VALUES ($message_id, 0, $priority, $sender_key, $key, $subject, $recipients, $envelope, $message, $size, $now, $now, 0) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id";

    private const long UnixEpochTicks = 621355968000000000;

    public OutboxRow(MimeMessage message)
    {
        MessageId = message.MessageId ?? throw new ArgumentException("The message needs a Message-ID.", nameof(message));
        Subject = message.Subject ?? string.Empty;
        Recipients = string.Join(", ", message.To.Mailboxes.Select(m => m.Address));
        using var buffer = new MemoryStream();
        message.WriteTo(FormatOptions.Default, buffer);
        Content = buffer.ToArray();
    }

    public string MessageId { get; }

    public string Subject { get; }

    public string Recipients { get; }

    /// <summary>The message as the outbox stores it (MimeKit's default format, CRLF).</summary>
    public byte[] Content { get; }

    public async Task<long> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        await using var command = new NpgsqlCommand(PostgreSqlInsert, connection, transaction);
        var now = DateTimeOffset.UtcNow;
        command.Parameters.Add(new NpgsqlParameter("message_id", NpgsqlDbType.Text) { Value = MessageId });
        command.Parameters.Add(new NpgsqlParameter("sender_key", NpgsqlDbType.Text) { Value = DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("subject", NpgsqlDbType.Text) { Value = Subject });
        command.Parameters.Add(new NpgsqlParameter("recipients", NpgsqlDbType.Text) { Value = Recipients });
        command.Parameters.Add(new NpgsqlParameter("envelope", NpgsqlDbType.Text) { Value = DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("message", NpgsqlDbType.Bytea) { Value = Content });
        command.Parameters.Add(new NpgsqlParameter("size", NpgsqlDbType.Integer) { Value = Content.Length });
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now });
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    public async Task<long> InsertAsync(SqliteConnection connection, SqliteTransaction? transaction, bool asTheOutbox = false)
    {
        await using var command = new SqliteCommand(asTheOutbox ? SqliteUpsert : SqliteInsert, connection, transaction);
        if (asTheOutbox)
            command.Parameters.Add("$priority", SqliteType.Integer).Value = 0;
        var now = (DateTimeOffset.UtcNow.UtcTicks - UnixEpochTicks) / 10;
        command.Parameters.Add("$message_id", SqliteType.Text).Value = MessageId;
        command.Parameters.Add("$sender_key", SqliteType.Text).Value = DBNull.Value;
        command.Parameters.Add("$key", SqliteType.Text).Value = DBNull.Value;
        command.Parameters.Add("$subject", SqliteType.Text).Value = Subject;
        command.Parameters.Add("$recipients", SqliteType.Text).Value = Recipients;
        command.Parameters.Add("$envelope", SqliteType.Text).Value = DBNull.Value;
        command.Parameters.Add("$message", SqliteType.Blob).Value = Content;
        command.Parameters.Add("$size", SqliteType.Integer).Value = Content.Length;
        command.Parameters.Add("$now", SqliteType.Integer).Value = now;
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>Runs one statement on a pooled connection of <paramref name="dataSource"/>.</summary>
    public static async Task<object?> ExecuteAsync(NpgsqlDataSource dataSource, string sql, int timeoutSeconds = 30)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = timeoutSeconds;
        return await command.ExecuteScalarAsync().ConfigureAwait(false);
    }

    /// <summary>Counts the rows of mailing.outbox in <paramref name="state"/>.</summary>
    public static async Task<long> CountAsync(NpgsqlDataSource dataSource, OutboxState state) =>
        (long)(await ExecuteAsync(dataSource, $"SELECT count(*) FROM mailing.outbox WHERE state = {(int)state}").ConfigureAwait(false))!;

    /// <summary>Prints the plan of the lease's statement (the text of PostgreSqlDialect.LeaseStatement), run and rolled back.</summary>
    public static async Task ExplainLeaseAsync(NpgsqlDataSource dataSource, int count)
    {
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) UPDATE mailing.outbox AS o SET state = 1, lease_token = gen_random_uuid(), due_at = @until, attempts = o.attempts + 1, last_attempt_at = @now " +
            "FROM (SELECT id FROM mailing.outbox WHERE state IN (0, 1) AND due_at <= @now ORDER BY priority DESC, due_at, id LIMIT @count FOR UPDATE SKIP LOCKED) AS due " +
            "WHERE o.id = due.id RETURNING o.id, o.attempts, o.message_id, o.sender_key, o.message, o.envelope",
            connection,
            transaction);
        var now = DateTimeOffset.UtcNow;
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("until", now.AddMinutes(5));
        command.Parameters.AddWithValue("count", count);
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
                Console.WriteLine("// " + reader.GetString(0));
        }

        await transaction.RollbackAsync().ConfigureAwait(false);
    }

    /// <summary>Sets <c>PRAGMA synchronous</c> on a pooled SQLite connection and checks that a later open keeps it.</summary>
    public static void CheckSqliteSynchronousNormal(string connectionString)
    {
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var pragma = new SqliteCommand("PRAGMA synchronous = NORMAL", connection);
            pragma.ExecuteNonQuery();
        }

        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var read = new SqliteCommand("PRAGMA synchronous", connection);
            var value = Convert.ToInt64(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            using var journal = new SqliteCommand("PRAGMA journal_mode", connection);
            Console.WriteLine($"// SQLite raw connection: synchronous = {value} (1 = NORMAL), journal_mode = {journal.ExecuteScalar()}");
            if (value != 1)
                throw new InvalidOperationException("The pooled SQLite connection lost PRAGMA synchronous = NORMAL; the raw baseline would sync more than the outbox.");
        }
    }
}
