using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;

namespace Mailing.Toolkit.Storage;

/// <summary>What differs between the engines the SQL stores run on; the stores themselves are written once.</summary>
internal abstract partial class SqlDialect
{
    /// <summary>The engine's name, for messages: <c>PostgreSQL</c>, <c>SQLite</c>.</summary>
    public abstract string Engine { get; }

    /// <summary>Where the data lives, for logs and errors, with any password removed.</summary>
    public abstract string Description { get; }

    /// <summary>The quoted, qualified name of one of our tables (schema and prefix applied).</summary>
    public abstract string Table(string name);

    /// <summary>The quoted, unqualified name of one of our tables, for column references such as <c>table.column</c>.</summary>
    public abstract string TableReference(string name);

    /// <summary>
    /// The statement that leases due rows of the outbox table <paramref name="table"/> and returns, in this order, their
    /// <c>id, attempts, message_id, sender_key, message, envelope</c>; parameters <c>@now</c>, <c>@until</c>, <c>@token</c>, <c>@count</c>.
    /// </summary>
    public abstract string LeaseStatement(string table);

    /// <summary>
    /// One statement that records <paramref name="count"/> outcomes in the outbox table <paramref name="table"/> and returns
    /// the id and lease token of each row it updated (parameters <c>@state0</c>, <c>@due0</c>, <c>@finished0</c>, <c>@error0</c>, <c>@response0</c>,
    /// <c>@id0</c>, <c>@token0</c>, then 1, 2, ...), or null when the engine records a batch as single statements in
    /// one transaction instead.
    /// </summary>
    public virtual string? CompleteManyStatement(string table, int count) => null;

    /// <summary>The type of the time columns' parameters.</summary>
    public abstract DbType TimeType { get; }

    /// <summary>Opens a connection to the database.</summary>
    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction that takes the write lock at once (SQLite) or a plain one (PostgreSQL).</summary>
    public abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Takes the migration lock inside <paramref name="transaction"/>, released when it ends.</summary>
    public abstract Task LockMigrationsAsync(DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Runs before the migrations' transaction: schema creation, database settings that cannot change inside one.</summary>
    public abstract Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Checks that a caller's transaction belongs to this engine, with a message naming the one expected.</summary>
    public abstract void CheckCallerTransaction(DbTransaction transaction);

    /// <summary>Replaces the <c>{schema}</c> and <c>{prefix}</c> placeholders of a migration script.</summary>
    public abstract string ExpandScript(string script);

    /// <summary>A time as a parameter value, at the microsecond (both engines keep microseconds, so values round-trip and compare equal).</summary>
    public abstract object Time(DateTimeOffset value);

    /// <summary>Reads a time column.</summary>
    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>Drops the sub-microsecond part, as <see cref="Time"/> does, for values compared after a round trip.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>Checks a schema name or table prefix: lower-case letters, digits and underscores, so it can be quoted safely.</summary>
    public static string CheckIdentifier(string value, string key, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(value);
        if ((value.Length == 0 && allowEmpty) || (value.Length <= 40 && IdentifierPattern().IsMatch(value)))
            return value;
        throw new ArgumentException($"{key} '{value.ReplaceLineEndings(" ")}' must be 1 to 40 lower-case letters, digits and underscores, starting with a letter or underscore.", key);
    }

    public static DbCommand Command(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static void Add(DbCommand command, string name, object? value, DbType type) =>
        Add(command.Parameters, command.CreateParameter(), name, value, type);

    /// <summary>Adds <paramref name="parameter"/> (a fresh one from the command or batch command) to <paramref name="parameters"/>.</summary>
    public static void Add(DbParameterCollection parameters, DbParameter parameter, string name, object? value, DbType type)
    {
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        parameters.Add(parameter);
    }

    public void AddTime(DbCommand command, string name, DateTimeOffset? value) =>
        AddTime(command.Parameters, command.CreateParameter(), name, value);

    public void AddTime(DbParameterCollection parameters, DbParameter parameter, string name, DateTimeOffset? value) =>
        Add(parameters, parameter, name, value is { } time ? Time(time) : null, TimeType);

    public DateTimeOffset? ReadNullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    public static string? ReadNullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    [GeneratedRegex("^[a-z_][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
