using System.Data;
using System.Data.Common;
using Mailing.Toolkit.Integrations;
using Mailing.Toolkit.Integrations.Internal;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// The suppression list on a SQL table keyed by (address, category), the all-categories entry stored with the empty
/// category so that it sorts first and the key needs no null.
/// </summary>
internal sealed class SqlSuppressionList(SqlDialect dialect, SqlSchema schema) : ISuppressionList
{
    private const string Columns = "address, category, reason, created_at, detail";
    private readonly string table = dialect.Table("suppression");

    public async Task<bool> AddAsync(SuppressionEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var address = SuppressionKeys.Address(entry.Address);
        var category = SuppressionKeys.Category(entry.Category);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        bool added;
        using (var insert = SqlDialect.Command(connection,
            $"INSERT INTO {table} ({Columns}) VALUES (@address, @category, @reason, @created, @detail) ON CONFLICT (address, category) DO NOTHING RETURNING 1", transaction))
        {
            Bind(insert, address, category, entry);
            added = await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull);
        }

        if (!added)
        {
            using var update = SqlDialect.Command(connection,
                $"UPDATE {table} SET reason = @reason, created_at = @created, detail = @detail WHERE address = @address AND category = @category", transaction);
            Bind(update, address, category, entry);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return added;
    }

    public async Task<bool> RemoveAsync(string address, string? category = null, CancellationToken cancellationToken = default)
    {
        var normalized = SuppressionKeys.Address(address);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection, $"DELETE FROM {table} WHERE address = @address AND category = @category");
        SqlDialect.Add(command, "address", normalized, DbType.String);
        SqlDialect.Add(command, "category", SuppressionKeys.Category(category), DbType.String);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<SuppressionEntry?> FindAsync(string address, string? category = null, CancellationToken cancellationToken = default)
    {
        var normalized = SuppressionKeys.Address(address);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = SqlDialect.Command(connection,
            $"SELECT {Columns} FROM {table} WHERE address = @address AND category IN ('', @category) ORDER BY category LIMIT 1");
        SqlDialect.Add(command, "address", normalized, DbType.String);
        SqlDialect.Add(command, "category", SuppressionKeys.Category(category), DbType.String);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<SuppressionEntry>> ListAsync(SuppressionQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new SuppressionQuery();
        var limit = SuppressionKeys.Limit(query);
        await schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        using var connection = await dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var where = new List<string>(2);
        if (query.Reason is not null)
            where.Add("reason = @reason");
        if (query.AfterAddress is not null)
            where.Add("(address > @after OR (address = @after AND category > @after_category))");
        var filter = where.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", where);
        using var command = SqlDialect.Command(connection, $"SELECT {Columns} FROM {table}{filter} ORDER BY address, category LIMIT @limit");
        if (query.Reason is { } reason)
            SqlDialect.Add(command, "reason", (short)reason, DbType.Int16);
        if (query.AfterAddress is { } after)
        {
            SqlDialect.Add(command, "after", SuppressionKeys.Address(after), DbType.String);
            SqlDialect.Add(command, "after_category", SuppressionKeys.Category(query.AfterCategory), DbType.String);
        }

        SqlDialect.Add(command, "limit", limit, DbType.Int32);
        var page = new List<SuppressionEntry>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            page.Add(Read(reader));
        return page;
    }

    public override string ToString() => $"suppression list {table} in the {dialect.Description}";

    private void Bind(DbCommand command, string address, string category, SuppressionEntry entry)
    {
        SqlDialect.Add(command, "address", address, DbType.String);
        SqlDialect.Add(command, "category", category, DbType.String);
        SqlDialect.Add(command, "reason", (short)entry.Reason, DbType.Int16);
        dialect.AddTime(command, "created", entry.CreatedAt);
        SqlDialect.Add(command, "detail", entry.Detail, DbType.String);
    }

    private SuppressionEntry Read(DbDataReader reader)
    {
        var category = reader.GetString(1);
        return new SuppressionEntry
        {
            Address = reader.GetString(0),
            Category = category.Length == 0 ? null : category,
            Reason = (SuppressionReason)Convert.ToInt32(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture),
            CreatedAt = dialect.ReadTime(reader, 3),
            Detail = SqlDialect.ReadNullableString(reader, 4),
        };
    }
}
