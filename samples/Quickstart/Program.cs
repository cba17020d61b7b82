// Quickstart: compose a real message (text, HTML, an attachment) and send it through IMailSender.
// With no Mailing:Smtp:Host configured it lands in a Maildir under this sample's folder.
using System.Runtime.CompilerServices;
using System.Text;
using Mailing.Toolkit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});

var mailing = builder.Services.AddMailing(builder.Configuration.GetSection("Mailing"));
if (!string.IsNullOrEmpty(builder.Configuration["Mailing:Smtp:Host"]))
    mailing.AddSmtpSender();
else
    mailing.AddMaildirSender(o => o.Path = Path.Combine(SampleFolder(), o.Path is { Length: > 0 } path ? path : "outbox"));

using var host = builder.Build();
await host.StartAsync(); // validates the Mailing options: a bad value fails here, naming the key

var sender = host.Services.GetRequiredService<IMailSender>();
var message = new MailMessage
{
    To = { "Alice Example <alice@example.test>" },
    Subject = "Your order #1042 is confirmed",
    TextBody = "Hi Alice,\n\nthanks for your order #1042. The invoice is attached.\n\nQuickstart Shop",
    HtmlBody = "<p>Hi Alice,</p><p>thanks for your order <b>#1042</b>. The invoice is attached.</p><p>Quickstart Shop</p>",
    Attachments =
    {
        MailAttachment.FromBytes(Encoding.UTF8.GetBytes("item,qty,price\nT-shirt,2,19.90\n"), "invoice-1042.csv", "text/csv"),
    },
};

var result = await sender.SendAsync(message);
Console.WriteLine($"Sent {result.MessageId} to {string.Join(", ", result.Accepted.Select(r => r.Address))} via {result.Server}");
Console.WriteLine(File.Exists(result.Response)
    ? $"Landed in {result.Response}"              // the Maildir sender reports the file it wrote
    : $"The server answered: {result.Response}"); // the SMTP sender reports the server's reply

await host.StopAsync();

// The folder of this source file, so the Maildir sits beside the sample wherever it is run from.
static string SampleFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
