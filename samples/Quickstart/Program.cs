// Quickstart: compose a real message (text, HTML, an attachment) and send it through IMailSender,
// then send a templated welcome email (layout, partials, Polish culture, a model) in one call.
// With no Mailing:Smtp:Host configured both land in a Maildir under this sample's folder, and the
// first one is read back with IMailParser, the way an inbound handler would see it.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Mailing.Toolkit;
using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Templating;
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
mailing.AddScribanTemplates(o => o.Root = Path.Combine(AppContext.BaseDirectory, "Templates"));
mailing.AddMailParser();

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

// The templated email: Templates/welcome (html.pl.scriban, subject.pl.scriban) inside _layouts/default,
// with the button and footer partials; CSS inlined and a text part generated from the HTML.
var templates = host.Services.GetRequiredService<IMailTemplateRenderer>();
var welcome = new WelcomeModel("Alicja Przykładowa", "https://shop.example/account", new Order(
    "A-10042", new DateTime(2026, 3, 1), "PLN",
    [new OrderLine("Kawa ziarnista 1 kg", 1, 64.50m), new OrderLine("Spieniacz do mleka", 2, 89.00m)],
    242.50m));
var templated = await sender.SendTemplateAsync(templates, "welcome", welcome, "alicja@example.test", new CultureInfo("pl-PL"));
Console.WriteLine($"Sent the templated welcome email {templated.MessageId}");
Console.WriteLine(File.Exists(templated.Response) ? $"Landed in {templated.Response}" : $"The server answered: {templated.Response}");

// Read the first message back as a backend receiving it would: no MIME, just what matters.
if (File.Exists(result.Response))
{
    var parser = host.Services.GetRequiredService<IMailParser>();
    await using var raw = File.OpenRead(result.Response);
    var parsed = await parser.ParseAsync(raw);
    Console.WriteLine($"Parsed it back: \"{parsed.Subject}\" from {parsed.From[0].Address}, thread {parsed.ThreadId}");
    foreach (var attachment in parsed.Attachments)
        Console.WriteLine($"  attachment {attachment.FileName} ({attachment.ContentType}, {attachment.Size} bytes, sha256 {attachment.Sha256[..12]}...)");
}

await host.StopAsync();

// The folder of this source file, so the Maildir sits beside the sample wherever it is run from.
static string SampleFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

/// <summary>The model of Templates/welcome: CustomerName is customer_name in the template.</summary>
internal sealed record WelcomeModel(string CustomerName, string AccountUrl, Order Order);

/// <summary>An order with its lines.</summary>
internal sealed record Order(string Number, DateTime Date, string Currency, IReadOnlyList<OrderLine> Lines, decimal Total);

/// <summary>One line of an order.</summary>
internal sealed record OrderLine(string Product, int Quantity, decimal Price);
