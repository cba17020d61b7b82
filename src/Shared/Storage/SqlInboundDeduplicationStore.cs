using System.Data;
using Mailing.Toolkit.Receiving;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// Inbound de-duplication on a SQL table keyed by (mailbox, key): a key is begun by an upsert that succeeds only
/// when the key is new or its previous handler's lease has run out, so of two instances taking the same message at
/// once exactly one gets a row back.
/// </summary>
internal sealed class SqlInboundDeduplicationStore(SqlDialect dialect, SqlSchema schema) : IInboundDeduplicationStore
{
    private const short Handling = 0;
    private const short Handled = 1;
    private readonly string table = dialect.Table("inbound_dedup");
    private readonly string reference = dialect.TableReference("inbound_dedup");

    public async ValueTask<DeduplicationResult> TryBeginAsync(string mailbox, string key, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using (var begin = SqlDialect.Command(connection,
            $"INSERT INTO {table} (mailbox, message_key, state, until) VALUES (@mailbox, @key, {Handling}, @until) " +
            $"ON CONFLICT (mailbox, message_key) DO UPDATE SET state = {Handling}, until = excluded.until " +
            $"WHERE {reference}.state = {Handling} AND {reference}.until <= @now RETURNING 1"))
        {
            Bind(begin, mailbox, key);
            dialect.AddTime(begin, "until", now + lease);
            dialect.AddTime(begin, "now", now);
            if (await begin.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull))
                return DeduplicationResult.Begun;
        }

        using var read = SqlDialect.Command(connection, $"SELECT state FROM {table} WHERE mailbox = @mailbox AND message_key = @key");
        Bind(read, mailbox, key);
        var state = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return state is not (null or DBNull) && Convert.ToInt16(state, System.Globalization.CultureInfo.InvariantCulture) == Handled
            ? DeduplicationResult.AlreadyHandled
            : DeduplicationResult.InProgress;
    }

    public async ValueTask CompleteAsync(string mailbox, string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection,
            $"INSERT INTO {table} (mailbox, message_key, state, until) VALUES (@mailbox, @key, {Handled}, @now) " +
            $"ON CONFLICT (mailbox, message_key) DO UPDATE SET state = {Handled}, until = excluded.until");
        Bind(command, mailbox, key);
        dialect.AddTime(command, "now", now);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ReleaseAsync(string mailbox, string key, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, $"DELETE FROM {table} WHERE mailbox = @mailbox AND message_key = @key AND state = {Handling}");
        Bind(command, mailbox, key);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset handledBefore, CancellationToken cancellationToken = default)
    {
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, $"DELETE FROM {table} WHERE state = {Handled} AND until < @before");
        dialect.AddTime(command, "before", handledBefore);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override string ToString() => $"inbound de-duplication {table} in the {dialect.Description}";

    private static void Bind(System.Data.Common.DbCommand command, string mailbox, string key)
    {
        SqlDialect.Add(command, "mailbox", mailbox, DbType.String);
        SqlDialect.Add(command, "key", key, DbType.String);
    }
}
