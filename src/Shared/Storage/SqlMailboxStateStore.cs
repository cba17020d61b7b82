using System.Data;
using System.Data.Common;
using Mailing.Toolkit.Receiving;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// Receiver positions on a SQL table, one row per mailbox key with a version number: an update reads the row,
/// computes the new state and writes it only if the version is unchanged (or inserts it only if still absent),
/// and starts over when another instance wrote in between.
/// </summary>
internal sealed class SqlMailboxStateStore(SqlDialect dialect, SqlSchema schema, TimeProvider time) : IMailboxStateStore
{
    private const int MaxRounds = 100;
    private readonly string table = dialect.Table("mailbox_state");

    public async ValueTask<MailboxState?> GetAsync(string mailboxKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxKey);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(connection, mailboxKey, cancellationToken).ConfigureAwait(false))?.State;
    }

    public async ValueTask<MailboxState> UpdateAsync(string mailboxKey, Func<MailboxState?, MailboxState> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxKey);
        ArgumentNullException.ThrowIfNull(update);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var round = 0; round < MaxRounds; round++)
        {
            var current = await ReadAsync(connection, mailboxKey, cancellationToken).ConfigureAwait(false);
            var next = update(current?.State) ?? throw new InvalidOperationException("The mailbox state update returned null.");
            next = next with { UpdatedAt = next.UpdatedAt ?? time.GetUtcNow() };
            var sql = current is null
                ? $"INSERT INTO {table} (mailbox_key, uid_validity, last_uid, handled_ids, updated_at, version) VALUES (@key, @validity, @last, @handled, @updated, 1) ON CONFLICT (mailbox_key) DO NOTHING"
                : $"UPDATE {table} SET uid_validity = @validity, last_uid = @last, handled_ids = @handled, updated_at = @updated, version = version + 1 WHERE mailbox_key = @key AND version = @version";
            using var command = SqlDialect.Command(connection, sql);
            SqlDialect.Add(command, "key", mailboxKey, DbType.String);
            SqlDialect.Add(command, "validity", next.UidValidity, DbType.Int64);
            SqlDialect.Add(command, "last", next.LastUid, DbType.Int64);
            SqlDialect.Add(command, "handled", string.Join('\n', next.HandledIds), DbType.String);
            dialect.AddTime(command, "updated", next.UpdatedAt);
            if (current is not null)
                SqlDialect.Add(command, "version", current.Value.Version, DbType.Int64);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                return next;
        }

        throw new InvalidOperationException($"The mailbox state of '{mailboxKey}' changed under {MaxRounds} updates in a row; another writer keeps winning.");
    }

    public override string ToString() => $"mailbox state {table} in the {dialect.Description}";

    private async Task<(MailboxState State, long Version)?> ReadAsync(DbConnection connection, string mailboxKey, CancellationToken cancellationToken)
    {
        using var command = SqlDialect.Command(connection, $"SELECT uid_validity, last_uid, handled_ids, updated_at, version FROM {table} WHERE mailbox_key = @key");
        SqlDialect.Add(command, "key", mailboxKey, DbType.String);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            return null;
        var handled = reader.GetString(2);
        var state = new MailboxState
        {
            UidValidity = reader.IsDBNull(0) ? null : reader.GetInt64(0),
            LastUid = reader.GetInt64(1),
            HandledIds = handled.Length == 0 ? [] : handled.Split('\n'),
            UpdatedAt = dialect.ReadNullableTime(reader, 3),
        };
        return (state, reader.GetInt64(4));
    }
}
