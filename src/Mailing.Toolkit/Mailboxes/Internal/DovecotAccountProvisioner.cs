using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>
/// <see cref="IMailAccountProvisioner"/> for Dovecot with a SQL passdb/userdb: the account row (address, SHA512-CRYPT
/// hash, quota, disabled flag) in the table Dovecot reads, the mail-store side through the doveadm HTTP API. Plain
/// ADO.NET with parameters only (the table name is checked at start), so it runs on any provider Dovecot can read.
/// </summary>
internal sealed class DovecotAccountProvisioner(DovecotAccountOptions options, DoveadmClient doveadm, TimeProvider time, ILogger<DovecotAccountProvisioner> logger) : IMailAccountProvisioner
{
    private readonly Func<DbConnection> connect = options.ConnectionFactory!;
    private readonly string table = options.Table;
    private volatile bool schemaReady;

    public async Task<MailAccount> CreateAsync(NewMailAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        var address = AccountRules.Address(account.Address, nameof(account));
        AccountRules.Password(account.Password, address, options.PasswordPolicy, nameof(account));
        var quota = AccountRules.Quota(account.QuotaBytes, options.MaxQuotaBytes, nameof(account));
        var created = new MailAccount(address, quota, false, time.GetUtcNow());
        var hash = "{SHA512-CRYPT}" + Sha512Crypt.Hash(account.Password, options.PasswordHashRounds);

        await WithConnectionAsync(async connection =>
        {
            if (await FindAsync(connection, address, cancellationToken).ConfigureAwait(false) is not null)
                throw new MailAccountException($"The account '{address}' exists already.", address);
            try
            {
                return await ExecuteAsync(connection, $"INSERT INTO {table} (username, password, quota_bytes, disabled, created_at) VALUES (@address, @password, @quota, 0, @created)", cancellationToken,
                    ("address", address), ("password", hash), ("quota", quota), ("created", created.CreatedAt.ToString("O", CultureInfo.InvariantCulture))).ConfigureAwait(false);
            }
            catch (DbException ex)
            {
                // Another writer may have created it between the check and the insert (the primary key refuses the second).
                throw new MailAccountException($"The account '{address}' could not be stored: {ex.Message}", address, ex);
            }
        }, cancellationToken).ConfigureAwait(false);

        try
        {
            if (options.DefaultFolders.Count > 0)
            {
                await doveadm.RunAsync("mailboxCreate", new JsonObject
                {
                    ["user"] = address,
                    ["mailbox"] = new JsonArray(options.DefaultFolders.Select(f => (JsonNode?)f).ToArray()),
                    ["subscriptions"] = true,
                }, address, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Nothing half done, cancelled or not: without its folders the account is not made at all.
            await RemoveRowAsync(address).ConfigureAwait(false);
            AccountLog.CreateRolledBack(logger, ex.GetType().Name);
            if (ex is OperationCanceledException or MailAccountException)
                throw;
            throw new MailAccountException($"The account '{address}' could not be set up ({ex.Message}); it was removed again.", address, ex);
        }

        AccountLog.Created(logger, address, quota);
        return created;
    }

    public async Task ChangePasswordAsync(string address, string newPassword, CancellationToken cancellationToken = default)
    {
        address = AccountRules.Address(address);
        AccountRules.Password(newPassword, address, options.PasswordPolicy, nameof(newPassword));
        var hash = "{SHA512-CRYPT}" + Sha512Crypt.Hash(newPassword, options.PasswordHashRounds);
        await UpdateAsync(address, "password = @value", hash, cancellationToken).ConfigureAwait(false);
        AccountLog.PasswordChanged(logger, address);
    }

    public async Task SetQuotaAsync(string address, long? quotaBytes, CancellationToken cancellationToken = default)
    {
        address = AccountRules.Address(address);
        AccountRules.Quota(quotaBytes, options.MaxQuotaBytes);
        await UpdateAsync(address, "quota_bytes = @value", quotaBytes, cancellationToken).ConfigureAwait(false);
        await doveadm.RunAsync("quotaRecalc", new JsonObject { ["user"] = address }, address, cancellationToken).ConfigureAwait(false);
        AccountLog.QuotaSet(logger, address, quotaBytes);
    }

    public async Task SetDisabledAsync(string address, bool disabled, CancellationToken cancellationToken = default)
    {
        address = AccountRules.Address(address);
        await UpdateAsync(address, "disabled = @value", disabled ? 1 : 0, cancellationToken).ConfigureAwait(false);
        if (disabled)
            await KickAsync(address, cancellationToken).ConfigureAwait(false);
        AccountLog.DisabledSet(logger, address, disabled);
    }

    public async Task DeleteAsync(string address, string? exportDirectory = null, CancellationToken cancellationToken = default)
    {
        address = AccountRules.Address(address);
        if (await FindAsync(address, cancellationToken).ConfigureAwait(false) is null)
            throw new MailAccountException($"There is no account '{address}'.", address);
        // Disabled and kicked first, so nothing changes under the export (LMTP delivery is refused from now on too);
        // the row goes last: a failure before it leaves a disabled account that can simply be deleted again.
        await UpdateAsync(address, "disabled = @value", 1, cancellationToken).ConfigureAwait(false);
        await KickAsync(address, cancellationToken).ConfigureAwait(false);
        var folders = (await doveadm.RunAsync("mailboxList", new JsonObject { ["user"] = address }, address, cancellationToken).ConfigureAwait(false))
            .Select(row => row?["mailbox"]?.GetValue<string>())
            .OfType<string>()
            // Folders other accounts share with this one are theirs: neither exported nor deleted here.
            .Where(f => options.SharedNamespacePrefix is not { Length: > 0 } prefix || !f.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (exportDirectory is not null)
            await ExportAsync(address, folders, exportDirectory, cancellationToken).ConfigureAwait(false);

        foreach (var folder in folders)
            await doveadm.RunAsync("expunge", new JsonObject { ["user"] = address, ["query"] = new JsonArray("mailbox", folder, "all") }, address, cancellationToken).ConfigureAwait(false);
        var deletable = folders.Where(f => !f.Equals("INBOX", StringComparison.OrdinalIgnoreCase)).OrderByDescending(f => f.Length).ToArray();
        if (deletable.Length > 0)
        {
            await doveadm.RunAsync("mailboxDelete", new JsonObject
            {
                ["user"] = address,
                ["mailbox"] = new JsonArray(deletable.Select(f => (JsonNode?)f).ToArray()),
                ["recursive"] = true,
            }, address, cancellationToken).ConfigureAwait(false);
        }

        await DeleteSieveScriptsAsync(address, cancellationToken).ConfigureAwait(false);
        await WithConnectionAsync(connection => ExecuteAsync(connection, $"DELETE FROM {table} WHERE username = @address", cancellationToken, ("address", address)), cancellationToken).ConfigureAwait(false);
        AccountLog.Deleted(logger, address, exportDirectory is not null);
    }

    public async Task<MailAccount?> FindAsync(string address, CancellationToken cancellationToken = default)
    {
        address = AccountRules.Address(address);
        return await WithConnectionAsync(connection => FindAsync(connection, address, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<MailAccount>> ListAsync(CancellationToken cancellationToken = default)
    {
        return await WithConnectionAsync(async connection => (IReadOnlyList<MailAccount>)await QueryAsync(connection, $"SELECT username, quota_bytes, disabled, created_at FROM {table} ORDER BY username", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every message of every folder as <c>folder/uid.eml</c> under <paramref name="directory"/>.</summary>
    private async Task ExportAsync(string address, List<string> folders, string directory, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        var count = 0;
        for (var index = 0; index < folders.Count; index++)
        {
            var folder = folders[index];
            var rows = await doveadm.RunAsync("fetch", new JsonObject
            {
                ["user"] = address,
                ["field"] = new JsonArray("uid", "text"),
                ["query"] = new JsonArray("mailbox", folder, "all"),
            }, address, cancellationToken).ConfigureAwait(false);
            // Folder names come from the server: keep each one a single path segment inside the export.
            // Numbered, so two folders whose names map to the same path segment ("a/b", "a_b") never share a directory.
            var target = Path.Combine(root, $"{index + 1:D3}-{PathSegment(folder)}");
            Directory.CreateDirectory(target);
            await File.WriteAllTextAsync(Path.Combine(target, "folder.txt"), folder + "\n", cancellationToken).ConfigureAwait(false);
            foreach (var row in rows)
            {
                var uid = row?["uid"]?.GetValue<string>() ?? throw new MailAccountException($"doveadm fetch for '{address}' returned a message without its UID; nothing was deleted.", address);
                var text = row["text"]?.GetValue<string>() ?? "";
                var file = new FileStream(Path.Combine(target, uint.Parse(uid, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + ".eml"), FileMode.CreateNew, FileAccess.Write);
                await using (file.ConfigureAwait(false))
                    await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
                count++;
            }
        }

        AccountLog.Exported(logger, address, count, root);
    }

    private static string PathSegment(string folder)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var segment = string.Concat(folder.Select(c => invalid.Contains(c) || c == '/' || c == '\\' ? '_' : c));
        return segment is "" or "." or ".." ? "_" + segment : segment;
    }

    /// <summary>
    /// Removes the account's Sieve scripts (its filters and vacation reply), so an address given out again starts
    /// without them. A server without Pigeonhole's doveadm commands has none to remove.
    /// </summary>
    private async Task DeleteSieveScriptsAsync(string address, CancellationToken cancellationToken)
    {
        var user = new JsonObject { ["user"] = address };
        if (await doveadm.RunPluginCommandAsync("sieveList", user, address, cancellationToken).ConfigureAwait(false) is not { } rows)
        {
            AccountLog.NoSieveCommands(logger);
            return;
        }

        var scripts = rows.Select(row => row?["script"]?.GetValue<string>()).OfType<string>().Select(name => (JsonNode?)name).ToArray();
        if (scripts.Length == 0)
            return;
        // The active script cannot be deleted: deactivated first.
        await doveadm.RunAsync("sieveDeactivate", new JsonObject { ["user"] = address }, address, cancellationToken).ConfigureAwait(false);
        await doveadm.RunAsync("sieveDelete", new JsonObject { ["user"] = address, ["scriptname"] = new JsonArray(scripts) }, address, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the account's open sessions; none open is fine (doveadm says "not found").</summary>
    private async Task KickAsync(string address, CancellationToken cancellationToken) =>
        await doveadm.RunAsync("kick", new JsonObject { ["mask"] = new JsonArray(address) }, address, cancellationToken, acceptNotFound: true).ConfigureAwait(false);

    private async Task UpdateAsync(string address, string assignment, object? value, CancellationToken cancellationToken)
    {
        var changed = await WithConnectionAsync(connection => ExecuteAsync(connection, $"UPDATE {table} SET {assignment} WHERE username = @address", cancellationToken, ("address", address), ("value", value)), cancellationToken).ConfigureAwait(false);
        if (changed == 0)
            throw new MailAccountException($"There is no account '{address}'.", address);
    }

    private async Task RemoveRowAsync(string address)
    {
        try
        {
            await WithConnectionAsync(connection => ExecuteAsync(connection, $"DELETE FROM {table} WHERE username = @address", CancellationToken.None, ("address", address)), CancellationToken.None).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            AccountLog.RollbackFailed(logger, table, ex.Message);
        }
    }

    private async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
            return await work(connection).ConfigureAwait(false);
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = connect();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!schemaReady)
                await EnsureSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates the table once per instance (idempotent: two instances starting together both succeed).</summary>
    private async Task EnsureSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection,
            $"CREATE TABLE IF NOT EXISTS {table} (username VARCHAR(254) PRIMARY KEY, password VARCHAR(255) NOT NULL, quota_bytes BIGINT NULL, disabled SMALLINT NOT NULL DEFAULT 0, created_at VARCHAR(40) NOT NULL)",
            cancellationToken).ConfigureAwait(false);
        schemaReady = true;
    }

    private async Task<MailAccount?> FindAsync(DbConnection connection, string address, CancellationToken cancellationToken) =>
        (await QueryAsync(connection, $"SELECT username, quota_bytes, disabled, created_at FROM {table} WHERE username = @address", cancellationToken, ("address", address)).ConfigureAwait(false)).FirstOrDefault();

    private static async Task<List<MailAccount>> QueryAsync(DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, sql, parameters);
        await using var commandScope = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var accounts = new List<MailAccount>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            accounts.Add(new MailAccount(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture) != 0,
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)));
        }

        return accounts;
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, sql, parameters);
        await using (command.ConfigureAwait(false))
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "The only text put into SQL is the table name, checked at start to be letters, digits and underscores; values are parameters.")]
    private static DbCommand Command(DbConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }
}

internal static partial class AccountLog
{
    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Mail account created (quota {QuotaBytes} bytes)")]
    private static partial void CreatedCore(ILogger logger, long? quotaBytes);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Debug, Message = "Mail account {Address} created")]
    private static partial void CreatedAddress(ILogger logger, string address);

    [LoggerMessage(EventId = 6032, Level = LogLevel.Warning, Message = "Creating a mail account failed after its row was stored ({ErrorType}); the row was removed again")]
    public static partial void CreateRolledBack(ILogger logger, string errorType);

    [LoggerMessage(EventId = 6033, Level = LogLevel.Error, Message = "Removing the row of a half-created mail account from table {Table} failed ({Error}): the exception names the account; remove its row by hand")]
    public static partial void RollbackFailed(ILogger logger, string table, string error);

    [LoggerMessage(EventId = 6034, Level = LogLevel.Debug, Message = "Password of mail account {Address} changed")]
    public static partial void PasswordChanged(ILogger logger, string address);

    [LoggerMessage(EventId = 6035, Level = LogLevel.Debug, Message = "Quota of mail account {Address} set to {QuotaBytes} bytes")]
    public static partial void QuotaSet(ILogger logger, string address, long? quotaBytes);

    [LoggerMessage(EventId = 6036, Level = LogLevel.Debug, Message = "Mail account {Address} disabled: {Disabled}")]
    public static partial void DisabledSet(ILogger logger, string address, bool disabled);

    [LoggerMessage(EventId = 6037, Level = LogLevel.Debug, Message = "Exported {Count} message(s) of mail account {Address} to {Directory}")]
    public static partial void Exported(ILogger logger, string address, int count, string directory);

    [LoggerMessage(EventId = 6038, Level = LogLevel.Information, Message = "Mail account deleted with its mail (exported first: {Exported})")]
    private static partial void DeletedCore(ILogger logger, bool exported);

    [LoggerMessage(EventId = 6039, Level = LogLevel.Debug, Message = "Mail account {Address} deleted")]
    private static partial void DeletedAddress(ILogger logger, string address);

    [LoggerMessage(EventId = 6040, Level = LogLevel.Debug, Message = "The doveadm API has no sieve commands (Pigeonhole's doveadm plugin is not loaded): a deleted account's Sieve scripts are left in place")]
    public static partial void NoSieveCommands(ILogger logger);

    /// <summary>The event at Information without the address (addresses are logged at Debug only), and the address at Debug.</summary>
    public static void Created(ILogger logger, string address, long? quotaBytes)
    {
        CreatedCore(logger, quotaBytes);
        CreatedAddress(logger, address);
    }

    public static void Deleted(ILogger logger, string address, bool exported)
    {
        DeletedCore(logger, exported);
        DeletedAddress(logger, address);
    }
}
