using System.Data.Common;
using System.Globalization;
using System.Text;
using Mailing.Toolkit.Outbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.Cli;

/// <summary>
/// <c>mailing outbox list|retry|cancel</c>: looks at and repairs the outbox of an application in its SQLite or
/// PostgreSQL database, through the same <see cref="IMailOutbox"/> the application uses. It never changes the schema:
/// a database the application has not migrated yet is an error, not something to create.
/// </summary>
internal sealed class OutboxCommand(Func<string, string?>? environment = null) : ICliCommand
{
    /// <summary>The environment variable read for the PostgreSQL connection string when no option names a database.</summary>
    public const string PostgresVariable = "MAILING_OUTBOX_POSTGRES";

    private const int DefaultLimit = 50;

    private static readonly (string Name, OutboxState State)[] States =
    [
        ("queued", OutboxState.Queued),
        ("sending", OutboxState.Sending),
        ("sent", OutboxState.Sent),
        ("failed", OutboxState.Failed),
        ("maybe-delivered", OutboxState.MaybeDelivered),
        ("cancelled", OutboxState.Cancelled),
    ];

    private readonly Func<string, string?> environment = environment ?? Environment.GetEnvironmentVariable;

    public string Summary => "list, retry or cancel the messages in an application's outbox (SQLite or PostgreSQL)";

    public string Usage => $"""
        Usage: mailing outbox list [--state STATE] [--limit N] DATABASE
               mailing outbox retry ID DATABASE
               mailing outbox cancel ID DATABASE

        Works on the outbox an application keeps with UseSqlite(...) or UsePostgreSql(...) (see docs/outbox.md).

          list              the newest rows first: id, state, due (UTC), attempts, recipients, subject, last error
            --state STATE   only rows in STATE: {string.Join(", ", States.Select(s => s.Name))}
            --limit N       at most N rows, 1 to 1000 (default {DefaultLimit})
          retry ID          queue a failed, maybe-delivered or cancelled row again, due now, attempts reset
          cancel ID         cancel a queued row (also a scheduled one) so it is never sent, or close a
                            failed or maybe-delivered row without sending it again

        DATABASE is one of:
          --sqlite PATH             the application's SQLite database file
          --postgres CONNECTION     an Npgsql connection string; it shows in the process list, so prefer
                                    the environment variable {PostgresVariable}, read when neither option is given
          --schema NAME             the PostgreSQL schema of the tables (default mailing)
          --table-prefix PREFIX     the table prefix, if the application set one (SQLite default mailing_)

        The schema is never created or migrated here: start the application once first.
        Exit codes: 0 done, 1 the database, the row or its state was not as needed (the message says which),
        2 a usage mistake.
        """;

    public IReadOnlyDictionary<string, bool> Options { get; } = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        ["sqlite"] = true,
        ["postgres"] = true,
        ["schema"] = true,
        ["table-prefix"] = true,
        ["state"] = true,
        ["limit"] = true,
    };

    public bool AcceptsArguments => true;

    public async Task<int> RunAsync(CommandLine commandLine, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var arguments = commandLine.Arguments;
        if (arguments.Count == 0)
            throw new CommandLineException("give an action: list, retry ID or cancel ID.");
        var action = arguments[0];
        long id = 0;
        switch (action)
        {
            case "list":
                if (arguments.Count > 1)
                    throw new CommandLineException($"list takes no id (unexpected '{arguments[1]}').");
                break;
            case "retry" or "cancel":
                if (arguments.Count != 2)
                    throw new CommandLineException($"{action} takes exactly one row id, for example 'mailing outbox {action} 42 --sqlite mail.db'.");
                id = ParseId(arguments[1]);
                if (commandLine.Has("state") || commandLine.Has("limit"))
                    throw new CommandLineException("--state and --limit apply to list only.");
                break;
            default:
                throw new CommandLineException($"unknown action '{action}': use list, retry or cancel.");
        }

        var state = ParseState(commandLine.Get("state"));
        var limit = ParseLimit(commandLine.Get("limit"));
        if (commandLine.Get("sqlite") is { Length: > 0 } file && !File.Exists(file))
            return await Fail(stderr, $"the SQLite database file '{Path.GetFullPath(file)}' does not exist (give the file the application uses).").ConfigureAwait(false);
        var provider = BuildProvider(commandLine);
        await using var disposeProvider = provider.ConfigureAwait(false);
        var outbox = provider.GetRequiredService<IMailOutbox>();
        try
        {
            return action switch
            {
                "list" => await ListAsync(outbox, state, limit, stdout, cancellationToken).ConfigureAwait(false),
                "retry" => await RetryAsync(outbox, id, stdout, stderr, cancellationToken).ConfigureAwait(false),
                _ => await CancelAsync(outbox, id, stdout, stderr, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            // The stores' messages name the database without its password; Npgsql's and SQLite's never carry one.
            return await Fail(stderr, $"the outbox database cannot be used: {e.Message}").ConfigureAwait(false);
        }
    }

    private ServiceProvider BuildProvider(CommandLine commandLine)
    {
        var sqlite = commandLine.Get("sqlite");
        var postgres = commandLine.Get("postgres");
        if (sqlite is not null && postgres is not null)
            throw new CommandLineException("give either --sqlite or --postgres, not both.");
        if (sqlite is null && postgres is null)
        {
            postgres = environment(PostgresVariable);
            if (string.IsNullOrWhiteSpace(postgres))
                throw new CommandLineException($"name the database: --sqlite PATH, --postgres CONNECTION-STRING, or the environment variable {PostgresVariable}.");
        }

        var prefix = commandLine.Get("table-prefix");
        var schema = commandLine.Get("schema");
        var services = new ServiceCollection();
        // No dispatcher: this process only reads and changes rows; the application's dispatcher sends them.
        var builder = services.AddMailing().AddOutbox(o => o.Background = false);
        try
        {
            if (sqlite is not null)
            {
                if (schema is not null)
                    throw new CommandLineException("--schema applies to --postgres only (SQLite has no schemas).");
                if (string.IsNullOrWhiteSpace(sqlite))
                    throw new CommandLineException("--sqlite needs the path of the database file.");
                // ReadWrite, not the default ReadWriteCreate: a mistyped path must not leave an empty database behind.
                var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(sqlite), Mode = SqliteOpenMode.ReadWrite }.ToString();
                builder.UseSqlite(connectionString, o =>
                {
                    o.ApplyMigrations = false;
                    o.Stores = MailingStores.Outbox;
                    if (prefix is not null)
                        o.TablePrefix = prefix;
                });
            }
            else
            {
                builder.UsePostgreSql(postgres!, o =>
                {
                    o.ApplyMigrations = false;
                    o.Stores = MailingStores.Outbox;
                    if (schema is not null)
                        o.Schema = schema;
                    if (prefix is not null)
                        o.TablePrefix = prefix;
                });
            }
        }
        catch (ArgumentException e)
        {
            var option = sqlite is not null ? "--sqlite" : "--postgres";
            var message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : e.Message;
            throw new CommandLineException(e.ParamName switch
            {
                "TablePrefix" => $"--table-prefix: {message}",
                "Schema" => $"--schema: {message}",
                _ => $"{option}: the connection string is not valid: {message}",
            });
        }

        return services.BuildServiceProvider();
    }

    private static async Task<int> ListAsync(IMailOutbox outbox, OutboxState? state, int limit, TextWriter stdout, CancellationToken cancellationToken)
    {
        var rows = await outbox.ListAsync(new OutboxQuery { State = state, Limit = limit }, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            await stdout.WriteLineAsync(state is { } s ? $"No outbox rows in state {Name(s)}." : "The outbox is empty.").ConfigureAwait(false);
            return MailingCli.Success;
        }

        string[] header = ["ID", "STATE", "DUE (UTC)", "ATTEMPTS", "RECIPIENTS", "SUBJECT", "LAST ERROR"];
        var table = new List<string[]>(rows.Count + 1) { header };
        table.AddRange(rows.Select(r => new[]
        {
            r.Id.ToString(CultureInfo.InvariantCulture),
            Name(r.State),
            r.DueAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            r.Attempts.ToString(CultureInfo.InvariantCulture),
            TerminalText.Printable(r.Recipients),
            TerminalText.Printable(r.Subject),
            TerminalText.Printable(r.LastError),
        }));
        var widths = Enumerable.Range(0, header.Length - 1).Select(c => table.Max(line => line[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var line in table)
        {
            for (var c = 0; c < widths.Length; c++)
                text.Append(line[c].PadRight(widths[c])).Append("  ");
            text.Append(line[^1]);
            await stdout.WriteLineAsync(text.ToString().TrimEnd()).ConfigureAwait(false);
            text.Clear();
        }

        return MailingCli.Success;
    }

    private static async Task<int> RetryAsync(IMailOutbox outbox, long id, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var row = await outbox.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (row is null)
            return await Fail(stderr, $"the outbox has no row {id} (it may have been purged).").ConfigureAwait(false);
        if (!await outbox.RequeueAsync(id, cancellationToken).ConfigureAwait(false))
        {
            var now = await outbox.GetAsync(id, cancellationToken).ConfigureAwait(false);
            return await Fail(stderr, $"row {id} is {Name(now?.State ?? row.State)}: only failed, maybe-delivered and cancelled rows can be retried.").ConfigureAwait(false);
        }

        await stdout.WriteLineAsync($"Row {id} ({Name(row.State)}) is queued again, due now; the application's dispatcher sends it.").ConfigureAwait(false);
        if (row.State == OutboxState.MaybeDelivered)
            await stdout.WriteLineAsync("Its recipients may already have it: the server may have accepted the first attempt.").ConfigureAwait(false);
        return MailingCli.Success;
    }

    private static async Task<int> CancelAsync(IMailOutbox outbox, long id, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var row = await outbox.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (row is null)
            return await Fail(stderr, $"the outbox has no row {id} (it may have been purged).").ConfigureAwait(false);
        if (!await outbox.CancelAsync(id, cancellationToken).ConfigureAwait(false))
        {
            var now = await outbox.GetAsync(id, cancellationToken).ConfigureAwait(false);
            return await Fail(stderr, $"row {id} is {Name(now?.State ?? row.State)}: a row being sent, a sent row or an already cancelled one cannot be cancelled.").ConfigureAwait(false);
        }

        if (row.State == OutboxState.Queued)
        {
            await stdout.WriteLineAsync($"Row {id} is cancelled; it will not be sent ('mailing outbox retry {id}' queues it again).").ConfigureAwait(false);
            return MailingCli.Success;
        }

        // A failed or maybe-delivered row: closed without another attempt, and purged after the retention like a sent one.
        await stdout.WriteLineAsync($"Row {id} ({Name(row.State)}) is closed as cancelled; it will not be sent again, and it is purged with the finished rows ('mailing outbox retry {id}' queues it again).").ConfigureAwait(false);
        return MailingCli.Success;
    }

    private static long ParseId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw new CommandLineException($"'{TerminalText.Printable(text)}' is not an outbox row id (a whole number above 0, as 'mailing outbox list' shows).");

    private static OutboxState? ParseState(string? text)
    {
        if (text is null)
            return null;
        var key = text.Trim().Replace('_', '-');
        foreach (var (name, state) in States)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase) || string.Equals(name.Replace("-", string.Empty, StringComparison.Ordinal), key, StringComparison.OrdinalIgnoreCase))
                return state;
        }

        throw new CommandLineException($"--state '{TerminalText.Printable(text)}' is not an outbox state; use one of {string.Join(", ", States.Select(s => s.Name))}.");
    }

    private static int ParseLimit(string? text)
    {
        if (text is null)
            return DefaultLimit;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= 1000
            ? limit
            : throw new CommandLineException($"--limit must be a whole number from 1 to 1000 (was '{TerminalText.Printable(text)}').");
    }

    private static string Name(OutboxState state) => States.First(s => s.State == state).Name;

    private static async Task<int> Fail(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message}").ConfigureAwait(false);
        return MailingCli.Failure;
    }
}
