using Mailing.Toolkit.Cli;
using Mailing.Toolkit.Outbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Tests.Cli;

/// <summary>
/// <c>mailing outbox</c> against a real SQLite database in a temp folder, filled through the application's own
/// outbox (the schema migrated the way the application migrates it).
/// </summary>
public sealed class OutboxCommandTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("mailing-outbox-cli-").FullName;
    private ServiceProvider? app;

    private string Database => Path.Combine(folder, "mail.db");

    private IMailOutboxStore Store => app!.GetRequiredService<IMailOutboxStore>();

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddMailing().AddOutbox(o => o.Background = false).UseSqlite(Database);
        app = services.BuildServiceProvider();
        await Store.GetStatisticsAsync(); // creates the file and applies the schema, as the application's start does
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
            await app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task List_PrintsEveryRowNewestFirstWithStateDueAttemptsRecipientsSubjectAndError()
    {
        var queued = await Store.EnqueueAsync(Message("Your invoice", "bob@example.test"));
        var failed = await FailedRowAsync("Password reset", "rejected 550 5.1.1: no such user");

        var (code, stdout, stderr) = await Run("outbox", "list", "--sqlite", Database);

        Assert.Equal(MailingCli.Success, code);
        Assert.Equal(string.Empty, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ID", lines[0], StringComparison.Ordinal);
        Assert.Contains("LAST ERROR", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{failed.Id} ", lines[1], StringComparison.Ordinal);
        Assert.Contains("failed", lines[1], StringComparison.Ordinal);
        Assert.Contains("carol@example.test", lines[1], StringComparison.Ordinal);
        Assert.Contains("Password reset", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("rejected 550 5.1.1: no such user", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"{queued.Id} ", lines[2], StringComparison.Ordinal);
        Assert.Contains("queued", lines[2], StringComparison.Ordinal);
        Assert.Contains("Your invoice", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +0 ", lines[2]);
    }

    [Fact]
    public async Task List_StateAndLimit_FilterTheRows()
    {
        await Store.EnqueueAsync(Message("one"));
        await Store.EnqueueAsync(Message("two"));
        await Store.EnqueueAsync(Message("three"));
        await FailedRowAsync("dead", "550");

        var (failedCode, failedOut, _) = await Run("outbox", "list", "--state", "failed", "--sqlite", Database);
        var (limitCode, limitOut, _) = await Run("outbox", "list", "--limit", "2", "--state", "Queued", "--sqlite", Database);
        var (noneCode, noneOut, _) = await Run("outbox", "list", "--state", "maybe-delivered", "--sqlite", Database);

        Assert.Equal((MailingCli.Success, MailingCli.Success, MailingCli.Success), (failedCode, limitCode, noneCode));
        var failedRows = failedOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Contains("dead", Assert.Single(failedRows), StringComparison.Ordinal);
        var limited = limitOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..];
        Assert.Equal(2, limited.Length);
        Assert.Contains("three", limited[0], StringComparison.Ordinal);
        Assert.Contains("two", limited[1], StringComparison.Ordinal);
        Assert.Contains("No outbox rows in state maybe-delivered", noneOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_SubjectWithControlCharacters_IsPrintedOnOneLine()
    {
        await Store.EnqueueAsync(Message("Hello\tthere \u001b[31mred"));

        var (_, stdout, _) = await Run("outbox", "list", "--sqlite", Database);

        Assert.DoesNotContain('\u001b', stdout);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("Hello there  [31mred", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_FailedRow_QueuesItAgainWithAttemptsReset()
    {
        var failed = await FailedRowAsync("dead", "550 5.1.1");

        var (code, stdout, stderr) = await Run("outbox", "retry", failed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sqlite", Database);

        Assert.Equal(MailingCli.Success, code);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains($"Row {failed.Id} (failed) is queued again", stdout, StringComparison.Ordinal);
        var row = await Store.GetAsync(failed.Id);
        Assert.Equal(OutboxState.Queued, row!.State);
        Assert.Equal(0, row.Attempts);
    }

    [Fact]
    public async Task Retry_MaybeDeliveredRow_WarnsThatTheRecipientsMayHaveIt()
    {
        await Store.EnqueueAsync(Message("maybe"));
        var lease = Assert.Single(await Store.LeaseAsync(1, TimeSpan.FromMinutes(1)));
        await Store.CompleteAsync(lease, OutboxCompletion.MaybeDelivered("timeout after the end of the data"));

        var (code, stdout, _) = await Run("outbox", "retry", lease.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sqlite", Database);

        Assert.Equal(MailingCli.Success, code);
        Assert.Contains("may already have it", stdout, StringComparison.Ordinal);
        Assert.Equal(OutboxState.Queued, (await Store.GetAsync(lease.Id))!.State);
    }

    [Fact]
    public async Task Retry_QueuedRow_FailsNamingItsStateAndLeavesItAlone()
    {
        var queued = await Store.EnqueueAsync(Message("waiting"));

        var (code, stdout, stderr) = await Run("outbox", "retry", queued.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sqlite", Database);

        Assert.Equal(MailingCli.Failure, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains($"row {queued.Id} is queued: only failed, maybe-delivered and cancelled rows can be retried", stderr, StringComparison.Ordinal);
        Assert.Equal(OutboxState.Queued, (await Store.GetAsync(queued.Id))!.State);
    }

    [Fact]
    public async Task Cancel_QueuedRow_CancelsIt_AndASecondCancelFails()
    {
        var queued = await Store.EnqueueAsync(Message("scheduled"), new OutboxEnqueueOptions { NotBefore = DateTimeOffset.UtcNow.AddDays(1) });
        var id = queued.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, stdout, _) = await Run("outbox", "cancel", id, "--sqlite", Database);
        var (again, _, stderr) = await Run("outbox", "cancel", id, "--sqlite", Database);

        Assert.Equal(MailingCli.Success, code);
        Assert.Contains($"Row {queued.Id} is cancelled", stdout, StringComparison.Ordinal);
        Assert.Equal(OutboxState.Cancelled, (await Store.GetAsync(queued.Id))!.State);
        Assert.Equal(MailingCli.Failure, again);
        Assert.Contains("is cancelled: a row being sent, a sent row or an already cancelled one cannot be cancelled", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_FailedRow_ClosesIt_AndListShowsItCancelled()
    {
        var failed = await FailedRowAsync("dead letter", "rejected 550 5.1.1: no such user");
        var id = failed.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (code, stdout, stderr) = await Run("outbox", "cancel", id, "--sqlite", Database);
        var (listCode, listOut, _) = await Run("outbox", "list", "--state", "cancelled", "--sqlite", Database);
        var (failedCode, failedOut, _) = await Run("outbox", "list", "--state", "failed", "--sqlite", Database);

        Assert.Equal(MailingCli.Success, code);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains($"Row {failed.Id} (failed) is closed as cancelled", stdout, StringComparison.Ordinal);
        var row = await Store.GetAsync(failed.Id);
        Assert.Equal(OutboxState.Cancelled, row!.State);
        Assert.NotNull(row.FinishedAt);
        Assert.Equal((MailingCli.Success, MailingCli.Success), (listCode, failedCode));
        var cancelled = Assert.Single(listOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..]);
        Assert.StartsWith($"{failed.Id} ", cancelled, StringComparison.Ordinal);
        Assert.Contains("cancelled", cancelled, StringComparison.Ordinal);
        Assert.Contains("dead letter", cancelled, StringComparison.Ordinal);
        Assert.Contains("No outbox rows in state failed", failedOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_MaybeDeliveredRow_ClosesIt()
    {
        await Store.EnqueueAsync(Message("arrived after all"));
        var lease = Assert.Single(await Store.LeaseAsync(1, TimeSpan.FromMinutes(1)));
        await Store.CompleteAsync(lease, OutboxCompletion.MaybeDelivered("timeout after the end of the data"));

        var (code, stdout, _) = await Run("outbox", "cancel", lease.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sqlite", Database);

        Assert.Equal(MailingCli.Success, code);
        Assert.Contains($"Row {lease.Id} (maybe-delivered) is closed as cancelled", stdout, StringComparison.Ordinal);
        Assert.Equal(OutboxState.Cancelled, (await Store.GetAsync(lease.Id))!.State);
        Assert.Equal(0, (await Store.GetStatisticsAsync()).MaybeDelivered);
    }

    [Fact]
    public async Task Cancel_RowBeingSent_FailsNamingItsStateAndLeavesItAlone()
    {
        await Store.EnqueueAsync(Message("on the wire"));
        var lease = Assert.Single(await Store.LeaseAsync(1, TimeSpan.FromMinutes(1)));

        var (code, stdout, stderr) = await Run("outbox", "cancel", lease.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--sqlite", Database);

        Assert.Equal(MailingCli.Failure, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains($"row {lease.Id} is sending: a row being sent, a sent row or an already cancelled one cannot be cancelled", stderr, StringComparison.Ordinal);
        Assert.Equal(OutboxState.Sending, (await Store.GetAsync(lease.Id))!.State);
    }

    [Fact]
    public async Task RetryAndCancel_UnknownRow_FailWithAClearMessage()
    {
        await Store.EnqueueAsync(Message("x"));

        var (retry, _, retryErr) = await Run("outbox", "retry", "999", "--sqlite", Database);
        var (cancel, _, cancelErr) = await Run("outbox", "cancel", "999", "--sqlite", Database);

        Assert.Equal((MailingCli.Failure, MailingCli.Failure), (retry, cancel));
        Assert.Contains("the outbox has no row 999", retryErr, StringComparison.Ordinal);
        Assert.Contains("the outbox has no row 999", cancelErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("the outbox row id", "retry", "abc")]
    [InlineData("the outbox row id", "cancel", "0")]
    [InlineData("the outbox row id", "cancel", "-3")]
    [InlineData("exactly one row id", "retry")]
    [InlineData("unknown action 'resend'", "resend", "1")]
    [InlineData("list takes no id", "list", "1")]
    [InlineData("give an action")]
    public async Task BadArguments_AreUsageErrors(string expected, params string[] arguments)
    {
        await Store.EnqueueAsync(Message("x"));

        var (code, _, stderr) = await Run(["outbox", .. arguments, "--sqlite", Database]);

        Assert.Equal(MailingCli.UsageError, code);
        Assert.Contains(expected.Replace("the outbox row id", "is not an outbox row id", StringComparison.Ordinal), stderr, StringComparison.Ordinal);
        Assert.Contains("Usage: mailing outbox", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("is not an outbox state", "list", "--state", "bounced")]
    [InlineData("--limit must be a whole number from 1 to 1000", "list", "--limit", "0")]
    [InlineData("--limit must be a whole number from 1 to 1000", "list", "--limit", "5000")]
    [InlineData("apply to list only", "retry", "1", "--state", "failed")]
    [InlineData("--schema applies to --postgres only", "list", "--schema", "mail")]
    [InlineData("--table-prefix", "list", "--table-prefix", "Bad-Prefix")]
    public async Task BadOptions_AreUsageErrors(string expected, params string[] arguments)
    {
        var (code, _, stderr) = await Run(["outbox", .. arguments, "--sqlite", Database]);

        Assert.Equal(MailingCli.UsageError, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingDatabaseFile_FailsAndCreatesNothing()
    {
        var missing = Path.Combine(folder, "typo.db");

        var (code, _, stderr) = await Run("outbox", "list", "--sqlite", missing);

        Assert.Equal(MailingCli.Failure, code);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task DatabaseWithoutTheSchema_FailsAndIsNotMigrated()
    {
        var empty = Path.Combine(folder, "other.db");
        await using (var connection = new SqliteConnection($"Data Source={empty}"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE unrelated (id INTEGER)";
            await command.ExecuteNonQueryAsync();
        }

        var (code, _, stderr) = await Run("outbox", "list", "--sqlite", empty);

        Assert.Equal(MailingCli.Failure, code);
        Assert.Contains("has no Mailing.Toolkit schema", stderr, StringComparison.Ordinal);
        await using var check = new SqliteConnection($"Data Source={empty}");
        await check.OpenAsync();
        using var tables = check.CreateCommand();
        tables.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'mailing_%'";
        Assert.Equal(0L, (long)(await tables.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task NoDatabaseOption_ReadsThePostgresVariable_AndWithoutItIsAUsageError()
    {
        var withoutVariable = new OutboxCommand(_ => null);
        var withVariable = new OutboxCommand(name => name == OutboxCommand.PostgresVariable ? "Host=127.0.0.1;Port=1;Username=app;Password=s3cret-pw;Timeout=2" : null);
        var stderr = new StringWriter();

        var usage = await Assert.ThrowsAsync<CommandLineException>(() =>
            withoutVariable.RunAsync(CommandLine.Parse(["list"], withoutVariable.Options, acceptsArguments: true), new StringWriter(), new StringWriter(), CancellationToken.None));
        var code = await withVariable.RunAsync(CommandLine.Parse(["list"], withVariable.Options, acceptsArguments: true), new StringWriter(), stderr, CancellationToken.None);

        Assert.Contains(OutboxCommand.PostgresVariable, usage.Message, StringComparison.Ordinal);
        Assert.Equal(MailingCli.Failure, code);
        Assert.Contains("the outbox database cannot be used", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BothDatabases_IsAUsageError()
    {
        var (code, _, stderr) = await Run("outbox", "list", "--sqlite", Database, "--postgres", "Host=localhost");

        Assert.Equal(MailingCli.UsageError, code);
        Assert.Contains("either --sqlite or --postgres", stderr, StringComparison.Ordinal);
    }

    private async Task<OutboxEnqueueResult> FailedRowAsync(string subject, string error)
    {
        var queued = await Store.EnqueueAsync(Message(subject, "carol@example.test"), new OutboxEnqueueOptions { Priority = 100 });
        var lease = Assert.Single(await Store.LeaseAsync(1, TimeSpan.FromMinutes(1)));
        Assert.Equal(queued.Id, lease.Id);
        Assert.True(await Store.CompleteAsync(lease, OutboxCompletion.Failed(error)));
        return queued;
    }

    private static MimeMessage Message(string subject, string to = "bob@example.test")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("app@example.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Body of " + subject };
        return message;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await MailingCli.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
