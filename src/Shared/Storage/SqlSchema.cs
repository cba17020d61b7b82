using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// Brings the database to the schema the stores need, once per process: the versioned scripts embedded in the
/// package, applied in order inside one transaction under the engine's migration lock (so concurrent starts apply
/// each script once), each recorded in the <c>schema_version</c> table. With migrations turned off it only checks
/// the recorded version. A failed attempt is not cached: the next store call tries again.
/// </summary>
internal sealed class SqlSchema(SqlDialect dialect, Assembly scripts, bool applyMigrations, ILogger logger)
{
    /// <summary>The schema version this build of the stores needs: the number of the last embedded script.</summary>
    public int RequiredVersion => Scripts.Value[^1].Version;

    private readonly Lock gate = new();
    private Task? ready;

    private Lazy<List<Script>> Scripts { get; } = new(() => LoadScripts(scripts));

    /// <summary>Completes when the schema is ready; fast once it has been.</summary>
    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        var current = ready;
        if (current is { IsCompletedSuccessfully: true })
            return current;
        lock (gate)
        {
            if (ready is null || ready.IsFaulted || ready.IsCanceled)
                ready = applyMigrations ? MigrateAsync(RequiredVersion) : CheckAsync();
            current = ready;
        }

        return current.WaitAsync(cancellationToken);
    }

    /// <summary>Applies the scripts up to <paramref name="targetVersion"/> (tests use a lower one to start from an older schema).</summary>
    public async Task MigrateAsync(int targetVersion)
    {
        using var connection = await dialect.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await dialect.PrepareAsync(connection, CancellationToken.None).ConfigureAwait(false);
        // Read first, without a lock or any DDL: a schema that is already current needs no CREATE privilege, so an
        // application may run with a role that can only read and write the tables.
        if (await TryReadVersionAsync(connection).ConfigureAwait(false) >= targetVersion)
            return;
        using var transaction = await dialect.BeginWriteAsync(connection, CancellationToken.None).ConfigureAwait(false);
        await dialect.LockMigrationsAsync(transaction, CancellationToken.None).ConfigureAwait(false);
        var versions = dialect.Table("schema_version");
        using (var create = SqlDialect.Command(connection, $"CREATE TABLE IF NOT EXISTS {versions} (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)", transaction))
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        var applied = await ReadVersionAsync(connection, transaction).ConfigureAwait(false);
        foreach (var script in Scripts.Value.Where(s => s.Version > applied && s.Version <= targetVersion))
        {
            using (var command = SqlDialect.Command(connection, dialect.ExpandScript(script.Text), transaction))
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            using (var record = SqlDialect.Command(connection, $"INSERT INTO {versions} (version, name, applied_at) VALUES (@version, @name, @at)", transaction))
            {
                SqlDialect.Add(record, "version", script.Version, System.Data.DbType.Int32);
                SqlDialect.Add(record, "name", script.Name, System.Data.DbType.String);
                SqlDialect.Add(record, "at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), System.Data.DbType.String);
                await record.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            StorageLog.MigrationApplied(logger, script.Version, script.Name, dialect.Description);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    private async Task CheckAsync()
    {
        using var connection = await dialect.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await dialect.PrepareAsync(connection, CancellationToken.None).ConfigureAwait(false);
        int version;
        try
        {
            version = await ReadVersionAsync(connection, null).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw new InvalidOperationException(
                $"The {dialect.Description} has no Mailing.Toolkit schema (reading {dialect.Table("schema_version")} failed: {ex.Message}). Apply the scripts shown in docs/storage.md, or turn ApplyMigrations on.", ex);
        }

        if (version < RequiredVersion)
        {
            throw new InvalidOperationException(
                $"The {dialect.Description} is at Mailing.Toolkit schema version {version}; this version of the package needs {RequiredVersion}. Apply the scripts after {version} shown in docs/storage.md, or turn ApplyMigrations on.");
        }
    }

    /// <summary>The recorded version, or 0 when the version table cannot be read (it does not exist yet).</summary>
    private async Task<int> TryReadVersionAsync(DbConnection connection)
    {
        try
        {
            return await ReadVersionAsync(connection, null).ConfigureAwait(false);
        }
        catch (DbException)
        {
            return 0;
        }
    }

    private async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction)
    {
        using var command = SqlDialect.Command(connection, $"SELECT COALESCE(MAX(version), 0) FROM {dialect.Table("schema_version")}", transaction);
        return Convert.ToInt32(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>The embedded <c>Migrations/NNNN_name.sql</c> scripts, in version order.</summary>
    private static List<Script> LoadScripts(Assembly assembly)
    {
        var list = new List<Script>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = resource[(resource.LastIndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..^".sql".Length];
            var separator = file.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(file.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Script(version, file[(separator + 1)..], reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list.Count > 0 ? list : throw new InvalidOperationException($"{assembly.GetName().Name} has no embedded migration scripts.");
    }

    private sealed record Script(int Version, string Name, string Text);
}
