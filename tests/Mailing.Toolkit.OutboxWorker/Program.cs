using System.Globalization;
using MailKit.Security;
using Mailing.Toolkit;
using Mailing.Toolkit.Outbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

// Usage: OutboxWorker <postgres-connection-string> <smtp-port> <workers> <lease-ms> <tag>
// Dispatches the PostgreSQL outbox to a plaintext SMTP server on 127.0.0.1:<smtp-port> until it is killed, or until
// the outbox has had no pending row for two seconds (then it stops the host and exits 0). Every message it sends
// carries an "X-Outbox-Worker: <tag>" header, so the receiving side knows which process sent what; its database
// connections carry the application name "outbox-worker-<tag>", so a test can wait until a killed worker's
// connections are gone. It prints "started <tag>" once the dispatcher runs and "done <tag> <attempts>" at the end.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: OutboxWorker <postgres-connection-string> <smtp-port> <workers> <lease-ms> <tag>");
    return 2;
}

var connectionString = new NpgsqlConnectionStringBuilder(args[0]) { ApplicationName = "outbox-worker-" + args[4] }.ConnectionString;
var port = int.Parse(args[1], CultureInfo.InvariantCulture);
var workers = int.Parse(args[2], CultureInfo.InvariantCulture);
var lease = TimeSpan.FromMilliseconds(int.Parse(args[3], CultureInfo.InvariantCulture));
var tag = new WorkerTag(args[4]);

// No defaults: nothing from the environment, appsettings files or the working folder changes what the test set up.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
// Logs go to stderr, so stdout carries only the lines described above.
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.AddSingleton(tag);
builder.Services.AddMailing()
    .AddSmtpSender(o =>
    {
        o.Host = "127.0.0.1";
        o.Port = port;
        o.Security = SecureSocketOptions.None; // the test's in-process sink speaks plaintext only
        o.MaxConnections = workers;
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        o.RetryMaxDelay = TimeSpan.FromMilliseconds(500);
        o.Timeout = TimeSpan.FromSeconds(30);
    })
    .AddOutgoingFilter<TagFilter>()
    .AddOutbox(o =>
    {
        o.Workers = workers;
        o.LeaseDuration = lease;
        o.PollInterval = TimeSpan.FromMilliseconds(100);
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
        o.RetryMaxDelay = TimeSpan.FromSeconds(1);
    })
    .UsePostgreSql(connectionString);

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"started {tag.Value}");
Console.Out.Flush();

var outbox = host.Services.GetRequiredService<IMailOutbox>();
var idleSince = DateTime.UtcNow;
while (DateTime.UtcNow - idleSince < TimeSpan.FromSeconds(2))
{
    await Task.Delay(200);
    try
    {
        if ((await outbox.GetStatisticsAsync()).Pending > 0)
            idleSince = DateTime.UtcNow;
    }
    catch (System.Data.Common.DbException ex)
    {
        // The dispatcher rides out a database hiccup; so does this check (the test's guard catches a database that stays away).
        Console.Error.WriteLine($"statistics failed: {ex.Message}");
        idleSince = DateTime.UtcNow;
    }
}

await host.StopAsync();
Console.WriteLine($"done {tag.Value} {tag.Attempts}");
return 0;

/// <summary>The process tag the filter stamps on every message.</summary>
internal sealed class WorkerTag(string value)
{
    private int attempts;

    public string Value { get; } = value;

    public int Attempts => Volatile.Read(ref attempts);

    public void Count() => Interlocked.Increment(ref attempts);
}

/// <summary>Stamps the process tag on each message on its way to the server.</summary>
internal sealed class TagFilter(WorkerTag tag) : IOutgoingMailFilter
{
    public ValueTask OnSendingAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        mail.Message.Headers["X-Outbox-Worker"] = tag.Value;
        tag.Count();
        return ValueTask.CompletedTask;
    }
}
