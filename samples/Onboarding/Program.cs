// Onboarding: what a backend does when a customer arrives and leaves. "onboard" creates the customer's support
// address on Dovecot (SQL passdb/userdb + doveadm HTTP API) with a quota, files spam into Junk and, if asked, installs
// an out-of-office reply through ManageSieve; "offboard" exports the mail and removes the account with its filters.
// It needs a Dovecot set up as docs/administration.md describes; the settings are in appsettings.json.
//
//   dotnet run --project samples/Onboarding -- onboard support@customer.example --quota-mb 500 [--away-until 2027-01-04]
//   dotnet run --project samples/Onboarding -- list
//   dotnet run --project samples/Onboarding -- offboard support@customer.example [--export ./exports/customer]
using System.Globalization;
using System.Security.Cryptography;
using Mailing.Toolkit.Mailboxes;
using Mailing.Toolkit.Sieve;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
var database = builder.Configuration["AccountsDatabase"] ?? throw new InvalidOperationException("Set AccountsDatabase in appsettings.json.");
builder.Services.AddMailing(builder.Configuration.GetSection("Mailing"))
    .AddDovecotAccounts(o => o.ConnectionFactory = () => new SqliteConnection($"Data Source={database}"))
    .AddManageSieve();
using var host = builder.Build();
var accounts = host.Services.GetRequiredService<IMailAccountProvisioner>();
var filters = host.Services.GetRequiredService<IMailboxFilters>();

switch (args.FirstOrDefault())
{
    case "onboard" when args.Length >= 2:
        await OnboardAsync(args[1], Option("--quota-mb") is { } mb ? long.Parse(mb, CultureInfo.InvariantCulture) * 1024 * 1024 : null, Option("--away-until"));
        break;
    case "offboard" when args.Length >= 2:
        await accounts.DeleteAsync(args[1], Option("--export"));
        Console.WriteLine($"Removed {args[1]} with its mail and filters{(Option("--export") is { } export ? $"; the mail is in {export}" : "")}.");
        break;
    case "list":
        foreach (var account in await accounts.ListAsync())
            Console.WriteLine($"{account.Address,-40} quota {(account.QuotaBytes is { } q ? $"{q / (1024 * 1024)} MB" : "none"),-12}{(account.IsDisabled ? " disabled" : "")}");
        break;
    default:
        Console.Error.WriteLine("usage: onboard ADDRESS [--quota-mb N] [--away-until YYYY-MM-DD] | offboard ADDRESS [--export DIR] | list");
        return 2;
}

return 0;

async Task OnboardAsync(string address, long? quotaBytes, string? awayUntil)
{
    // Generated here and shown once, for the operator to hand over; the library stores only its SHA512-CRYPT hash.
    var password = RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-", 20) + "-7a";
    await accounts.CreateAsync(new NewMailAccount { Address = address, Password = password, QuotaBytes = quotaBytes });
    try
    {
        // ManageSieve logs in as the master user configured in Mailing:ManageSieve and acts for the new account.
        await filters.SetRuleAsync(new SieveRule("spam", SieveTest.SpamFlagged, SieveAction.FileInto("Junk", create: true), SieveAction.Stop()), address);
        if (awayUntil is not null)
        {
            await filters.SetVacationAsync(new VacationReply
            {
                Subject = "Received: we answer from " + awayUntil,
                Body = $"Thank you for your message. The team is away and answers from {awayUntil}.",
                Days = 1,
            }, address);
        }
    }
    catch
    {
        // Nothing half done: an account whose filters could not be installed is removed again. If that fails too,
        // say so and keep the first error, which is the one that explains what went wrong.
        try
        {
            await accounts.DeleteAsync(address);
        }
        catch (MailAccountException cleanup)
        {
            Console.Error.WriteLine($"Removing {address} again failed as well: {cleanup.Message}");
        }

        throw;
    }

    Console.WriteLine($"Created {address} (quota {(quotaBytes is { } q ? $"{q / (1024 * 1024)} MB" : "none")}); initial password: {password}");
    Console.WriteLine($"Filters: {string.Join(", ", (await filters.GetAsync(address)).Rules)}{(awayUntil is not null ? " and an out-of-office reply" : "")}.");
}

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
