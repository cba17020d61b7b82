using System.Data;
using Mailing.Toolkit.AutoResponding;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// The auto-reply history on a SQL table keyed by (responder, sender). The check and the record are one upsert that
/// writes only when the stored reply no longer blocks, so of two instances answering the same sender at once,
/// exactly one gets a row back.
/// </summary>
internal sealed class SqlAutoReplyHistory(SqlDialect dialect, SqlSchema schema) : IAutoReplyHistory
{
    private const int PruneEvery = 512;
    private readonly string table = dialect.Table("auto_reply_history");
    private readonly string reference = dialect.TableReference("auto_reply_history");
    private int writes;

    public async ValueTask<bool> TryRecordAsync(string responder, string sender, DateTimeOffset now, TimeSpan interval, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        bool recorded;
        using (var command = SqlDialect.Command(connection,
            $"INSERT INTO {table} (responder, sender, recorded_at, blocked_until) VALUES (@responder, @sender, @now, @until) " +
            $"ON CONFLICT (responder, sender) DO UPDATE SET recorded_at = excluded.recorded_at, blocked_until = excluded.blocked_until " +
            $"WHERE {reference}.blocked_until <= excluded.recorded_at RETURNING 1"))
        {
            SqlDialect.Add(command, "responder", responder, DbType.String);
            SqlDialect.Add(command, "sender", sender, DbType.String);
            dialect.AddTime(command, "now", now);
            dialect.AddTime(command, "until", now + interval);
            recorded = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull);
        }

        if (recorded && Interlocked.Increment(ref writes) % PruneEvery == 0)
        {
            // Rows that block nothing any more are dead weight; dropped now and then, by whichever instance writes.
            using var prune = SqlDialect.Command(connection, $"DELETE FROM {table} WHERE blocked_until <= @now");
            dialect.AddTime(prune, "now", now);
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return recorded;
    }

    public async ValueTask RemoveAsync(string responder, string sender, DateTimeOffset recordedAt, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, $"DELETE FROM {table} WHERE responder = @responder AND sender = @sender AND recorded_at = @at");
        SqlDialect.Add(command, "responder", responder, DbType.String);
        SqlDialect.Add(command, "sender", sender, DbType.String);
        dialect.AddTime(command, "at", recordedAt);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override string ToString() => $"auto-reply history {table} in the {dialect.Description}";
}
