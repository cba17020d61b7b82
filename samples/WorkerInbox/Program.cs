// WorkerInbox: a worker service that watches a mailbox with the inbound pipeline. Mail to support@ is summarized
// into summaries.jsonl by SupportSummaryHandler and acknowledged by the auto-responder (the replies land in the
// outbox Maildir); everything else goes to the Unrouted folder; a message whose handler keeps failing goes to
// Quarantine. The mailbox is the Maildir inbox/ under this sample's folder, seeded with example messages on the
// first run; with Mailing:Pop3:Host configured it is that POP3 mailbox instead.
//
//   dotnet run --project samples/WorkerInbox            handles what is in the mailbox now, then exits
//   dotnet run --project samples/WorkerInbox -- --watch keeps watching (a pass every Mailing:Inbound:PollInterval)
using System.Runtime.CompilerServices;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WorkerInbox;

var watch = args.Contains("--watch");
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args.Where(a => a != "--watch" && a != "--once").ToArray(),
    ContentRootPath = AppContext.BaseDirectory,
});
var folder = SampleFolder();

var mailing = builder.Services.AddMailing(builder.Configuration.GetSection("Mailing"))
    .AddMaildirSender(o => o.Path = Path.Combine(folder, o.Path is { Length: > 0 } path ? path : "outbox"))
    .AddAutoResponder(o => o.HistoryPath = o.HistoryPath is { Length: > 0 } history ? Path.Combine(folder, history) : null);
if (!string.IsNullOrEmpty(builder.Configuration["Mailing:Pop3:Host"]))
{
    mailing.AddPop3Receiver(o => o.StateFilePath = o.StateFilePath is { Length: > 0 } state ? Path.Combine(folder, state) : null);
}
else
{
    var inbox = Path.Combine(folder, builder.Configuration["Mailing:Maildir:Receiver:Path"] is { Length: > 0 } configured ? configured : "inbox");
    ExampleMail.SeedOnFirstRun(inbox);
    mailing.AddMaildirReceiver(o => o.Path = inbox);
}

mailing.AddInboundProcessing(
    routes =>
    {
        routes.Route("support").ToRecipient("support@*").Handle<SupportSummaryHandler>().AutoRespond();
    },
    options => options.Background = watch);
builder.Services.AddSingleton(new SummaryFile(Path.Combine(folder, "summaries.jsonl")));

using var host = builder.Build();
if (watch)
{
    Console.WriteLine("Watching the mailbox; press Ctrl+C to stop.");
    await host.RunAsync();
    return;
}

await host.StartAsync(); // validates the options: a bad value fails here, naming the key
var result = await host.Services.GetRequiredService<IInboundMailProcessor>().RunPassAsync();
Console.WriteLine($"Received {result.Received}: {result.Handled} handled, {result.Unrouted} unrouted, {result.Quarantined} quarantined, {result.Deferred} left for later.");
Console.WriteLine($"Summaries: {Path.Combine(folder, "summaries.jsonl")}");
Console.WriteLine($"Auto-replies: {Path.Combine(folder, "outbox", "new")}");
await host.StopAsync();

// The folder of this source file, so the Maildirs sit beside the sample wherever it is run from.
static string SampleFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
