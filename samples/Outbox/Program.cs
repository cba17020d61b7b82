// Outbox: the transactional outbox on SQLite. Each order row and its confirmation mail are written in one
// transaction, so a rolled-back order sends nothing and a committed one is sent even if the process dies right
// after the commit. The dispatcher (a hosted service) sends the queued mail; with no Mailing:Smtp:Host configured it
// lands in a Maildir next to the database.
//
// Usage: dotnet run --project samples/Outbox [-- --data DIR]   (DIR defaults to ./outbox-sample)
using Mailing.Toolkit;
using Mailing.Toolkit.Outbox;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;

var builder = Host.CreateApplicationBuilder(args);
var data = Path.GetFullPath(builder.Configuration["data"] ?? "outbox-sample");
Directory.CreateDirectory(data);
var database = Path.Combine(data, "shop.db");

var mailing = builder.Services.AddMailing(o => o.DefaultFrom = "Sample Shop <shop@example.test>");
if (!string.IsNullOrEmpty(builder.Configuration["Mailing:Smtp:Host"]))
    mailing.AddSmtpSender(builder.Configuration.GetSection("Mailing:Smtp"));
else
    mailing.AddMaildirSender(o => o.Path = Path.Combine(data, "maildir"));
mailing.AddOutbox(o => o.PollInterval = TimeSpan.FromMilliseconds(200)).UseSqlite(database);

using var host = builder.Build();
await host.StartAsync();
var outbox = host.Services.GetRequiredService<IMailOutbox>();
await outbox.GetStatisticsAsync(); // the schema is applied before the shop's own transaction takes the write lock

await using var shop = new SqliteConnection($"Data Source={database}");
await shop.OpenAsync();
await ExecuteAsync(shop, null, "CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL)");

var placed = await PlaceOrderAsync(1042, "alice@example.test", commit: true);
await PlaceOrderAsync(1043, "bob@example.test", commit: false);
var reminder = await outbox.EnqueueAsync(
    Confirmation(1042, "alice@example.test", "Your order #1042 ships tomorrow"),
    new OutboxEnqueueOptions { NotBefore = DateTimeOffset.UtcNow.AddSeconds(2), IdempotencyKey = "order-1042-shipping" });

// Wait for the dispatcher: the confirmation goes at once, the reminder when its time comes.
var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
while ((await outbox.GetStatisticsAsync()).Pending > 0 && DateTimeOffset.UtcNow < deadline)
    await Task.Delay(100);

foreach (var row in (await outbox.ListAsync()).Reverse())
    Console.WriteLine($"#{row.Id} {row.State,-8} attempts {row.Attempts} to {row.Recipients}: {row.Subject}{(row.Response is null ? "" : $" -> {row.Response}")}");
Console.WriteLine($"Order 1042 queued as #{placed!.Id}, its shipping note as #{reminder.Id}; order 1043 was rolled back and sent nothing.");
await host.StopAsync();
return (await outbox.GetStatisticsAsync()).Pending == 0 ? 0 : 1;

async Task<OutboxEnqueueResult?> PlaceOrderAsync(int id, string customer, bool commit)
{
    await using var transaction = (SqliteTransaction)await shop.BeginTransactionAsync();
    await using (var insert = shop.CreateCommand())
    {
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO orders (id, customer) VALUES ($id, $customer)";
        insert.Parameters.AddWithValue("$id", id);
        insert.Parameters.AddWithValue("$customer", customer);
        await insert.ExecuteNonQueryAsync();
    }

    var queued = await outbox.EnqueueAsync(Confirmation(id, customer, $"Your order #{id} is confirmed"), transaction, new OutboxEnqueueOptions { IdempotencyKey = $"order-{id}-confirmation" });
    if (commit)
        await transaction.CommitAsync();
    else
        await transaction.RollbackAsync();
    return commit ? queued : null;
}

static MimeMessage Confirmation(int order, string customer, string subject)
{
    var message = new MimeMessage();
    message.To.Add(MailboxAddress.Parse(customer));
    message.Subject = subject;
    message.Body = new TextPart("plain") { Text = $"Thanks for order #{order}.\n\nSample Shop" };
    return message;
}

static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql)
{
    await using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.Transaction = transaction;
    await command.ExecuteNonQueryAsync();
}
