using System.Text;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.DependencyInjection;

/// <summary>
/// Keyed receivers (<c>AddImapReceiver("billing", ...)</c>, <c>AddPop3Receiver</c>, <c>AddMaildirReceiver</c>) next to
/// the unnamed one: separate instances with separate options, <c>[FromKeyedServices]</c>, binding from
/// <c>Mailing:Receivers:{key}</c>, validation messages naming that path, and what a second registration of a key does.
/// </summary>
public sealed class KeyedReceiverTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mailing-keyed-" + Guid.NewGuid().ToString("N"));

    public KeyedReceiverTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task AddMaildirReceiver_KeyedBesideUnnamed_DifferentInstancesEachReadingItsOwnFolder()
    {
        var main = Maildir("main");
        var billing = Maildir("billing");
        Deliver(main, "for main");
        Deliver(billing, "for billing");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddMaildirReceiver(main).AddMaildirReceiver("billing", billing);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var unnamed = provider.GetRequiredService<IMailReceiver>();
        var keyed = provider.GetRequiredKeyedService<IMailReceiver>("billing");

        Assert.NotSame(unnamed, keyed);
        Assert.Same(keyed, provider.GetRequiredKeyedService<IMailReceiver>("billing"));
        var options = provider.GetRequiredService<IOptionsMonitor<MaildirReceiverOptions>>();
        Assert.Equal((main, billing), (options.Get(Options.DefaultName).Path, options.Get("billing").Path));
        Assert.Equal(["for main"], await SubjectsAsync(unnamed));
        Assert.Equal(["for billing"], await SubjectsAsync(keyed));
        Assert.Null(provider.GetKeyedService<IMailReceiver>("support"));
    }

    [Fact]
    public void AddImapReceiver_KeyedBesideUnnamed_OwnAccountOwnSettingsAndOwnNotifier()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing()
            .AddImapReceiver(Account("imap.example.test", "app"), r => r.Folder = "INBOX")
            .AddImapReceiver("billing", Account("billing.example.test", "invoices"), r => r.Folder = "Invoices");
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var unnamed = provider.GetRequiredService<IMailReceiver>();
        var keyed = provider.GetRequiredKeyedService<IMailReceiver>("billing");

        Assert.NotSame(unnamed, keyed);
        Assert.Same(unnamed, provider.GetRequiredService<IMailArrivalNotifier>());
        Assert.Same(keyed, provider.GetRequiredKeyedService<IMailArrivalNotifier>("billing"));
        var accounts = provider.GetRequiredService<IOptionsMonitor<ImapOptions>>();
        Assert.Equal(("imap.example.test", "app"), (accounts.Get(Options.DefaultName).Host, accounts.Get(Options.DefaultName).UserName));
        Assert.Equal(("billing.example.test", "invoices"), (accounts.Get("billing").Host, accounts.Get("billing").UserName));
        var settings = provider.GetRequiredService<IOptionsMonitor<ImapReceiverOptions>>();
        Assert.Equal(("INBOX", "Invoices"), (settings.Get(Options.DefaultName).Folder, settings.Get("billing").Folder));
        // The unnamed account stays the mailbox manager's; the keyed receiver's account does not leak into it.
        Assert.Equal("imap.example.test", provider.GetRequiredService<IOptions<ImapOptions>>().Value.Host);
    }

    [Fact]
    public void FromKeyedServices_ConstructorParameter_GetsTheReceiverOfThatKey()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing()
            .AddMaildirReceiver(Maildir("main"))
            .AddMaildirReceiver("billing", Maildir("billing"))
            .AddPop3Receiver("support", o =>
            {
                o.Host = "pop.example.test";
                o.UserName = "support";
                o.Password = "pw";
            });
        services.AddSingleton<BillingWorker>();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var worker = provider.GetRequiredService<BillingWorker>();

        Assert.Same(provider.GetRequiredKeyedService<IMailReceiver>("billing"), worker.Billing);
        Assert.Same(provider.GetRequiredKeyedService<IMailReceiver>("support"), worker.Support);
        Assert.Same(provider.GetRequiredService<IMailReceiver>(), worker.Default);
        Assert.Equal(3, new HashSet<IMailReceiver>([worker.Billing, worker.Support, worker.Default], ReferenceEqualityComparer.Instance).Count);
    }

    [Fact]
    public void AddImapReceiver_Keyed_BindsTheAccountFromMailingReceiversKeyAndTheSettingsFromItsReceiverSubsection()
    {
        var provider = Build(
            new()
            {
                ["Mailing:Imap:Host"] = "imap.example.test",
                ["Mailing:Imap:UserName"] = "app",
                ["Mailing:Imap:Password"] = "pw",
                ["Mailing:Imap:Receiver:BatchSize"] = "7",
                ["Mailing:Receivers:billing:Host"] = "billing.example.test",
                ["Mailing:Receivers:billing:Port"] = "1993",
                ["Mailing:Receivers:billing:Security"] = "SslOnConnect",
                ["Mailing:Receivers:billing:UserName"] = "invoices",
                ["Mailing:Receivers:billing:Password"] = "billing-pw",
                ["Mailing:Receivers:billing:Receiver:Folder"] = "Invoices/Incoming",
                ["Mailing:Receivers:billing:Receiver:BatchSize"] = "50",
                ["Mailing:Receivers:billing:Receiver:UseIdle"] = "false",
            },
            m => m.AddImapReceiver().AddImapReceiver("billing"));
        using (provider)
        {
            var account = provider.GetRequiredService<IOptionsMonitor<ImapOptions>>().Get("billing");
            var settings = provider.GetRequiredService<IOptionsMonitor<ImapReceiverOptions>>().Get("billing");
            var unnamed = provider.GetRequiredService<IOptionsMonitor<ImapReceiverOptions>>().Get(Options.DefaultName);

            Assert.Equal(("billing.example.test", 1993, MailKit.Security.SecureSocketOptions.SslOnConnect, "invoices", "billing-pw"), (account.Host, account.Port, account.Security, account.UserName, account.Password));
            Assert.Equal(("Invoices/Incoming", 50, false), (settings.Folder, settings.BatchSize, settings.UseIdle));
            Assert.Equal(("INBOX", 7, true), (unnamed.Folder, unnamed.BatchSize, unnamed.UseIdle));
            Assert.NotNull(provider.GetRequiredKeyedService<IMailReceiver>("billing"));
        }
    }

    [Fact]
    public void AddPop3Receiver_Keyed_BindsMailingReceiversKey()
    {
        var provider = Build(
            new()
            {
                ["Mailing:Receivers:billing:Host"] = "pop.billing.example.test",
                ["Mailing:Receivers:billing:Port"] = "995",
                ["Mailing:Receivers:billing:UserName"] = "invoices",
                ["Mailing:Receivers:billing:Password"] = "pw",
                ["Mailing:Receivers:billing:DeleteAfterHandling"] = "true",
                ["Mailing:Receivers:billing:StateKey"] = "pop3-billing",
            },
            m => m.AddPop3Receiver("billing", o => o.Timeout = TimeSpan.FromSeconds(5)));
        using (provider)
        {
            var options = provider.GetRequiredService<IOptionsMonitor<Pop3ReceiverOptions>>().Get("billing");

            Assert.Equal(("pop.billing.example.test", 995, "invoices", true, "pop3-billing", TimeSpan.FromSeconds(5)), (options.Host, options.Port, options.UserName, options.DeleteAfterHandling, options.StateKey, options.Timeout));
            Assert.Equal(string.Empty, provider.GetRequiredService<IOptionsMonitor<Pop3ReceiverOptions>>().Get(Options.DefaultName).Host);
            Assert.Null(provider.GetService<IMailReceiver>());
            Assert.NotNull(provider.GetRequiredKeyedService<IMailReceiver>("billing"));
        }
    }

    [Fact]
    public async Task AddMaildirReceiver_Keyed_BindsMailingReceiversKey()
    {
        var billing = Maildir("billing");
        Deliver(billing, "bound");
        var provider = Build(
            new()
            {
                ["Mailing:Receivers:billing:Path"] = billing,
                ["Mailing:Receivers:billing:IncludeUnseenInCur"] = "false",
            },
            m => m.AddMaildirReceiver("billing", _ => { }));
        await using (provider)
        {
            var options = provider.GetRequiredService<IOptionsMonitor<MaildirReceiverOptions>>().Get("billing");

            Assert.Equal((billing, false), (options.Path, options.IncludeUnseenInCur));
            Assert.Equal(["bound"], await SubjectsAsync(provider.GetRequiredKeyedService<IMailReceiver>("billing")));
        }
    }

    [Theory]
    [InlineData("imap", "Mailing:Receivers:billing:Host", "", "Mailing:Receivers:billing:Host is required.")]
    [InlineData("imap", "Mailing:Receivers:billing:Receiver:BatchSize", "0", "Mailing:Receivers:billing:Receiver:BatchSize must be 1-1000 (was 0).")]
    [InlineData("pop3", "Mailing:Receivers:billing:Port", "70000", "Mailing:Receivers:billing:Port must be 0-65535 (was 70000)")]
    [InlineData("pop3", "Mailing:Receivers:billing:UserName", "", "Mailing:Receivers:billing:UserName is required: POP3 needs a login.")]
    [InlineData("maildir", "Mailing:Receivers:billing:Path", "", "Mailing:Receivers:billing:Path is required")]
    public void Keyed_InvalidValue_FailsAtStartNamingTheKeyedPathWhileTheUnnamedOneIsFine(string transport, string key, string value, string expected)
    {
        var values = new Dictionary<string, string?>
        {
            ["Mailing:Maildir:Receiver:Path"] = Maildir("main"),
            ["Mailing:Receivers:billing:Host"] = "billing.example.test",
            ["Mailing:Receivers:billing:UserName"] = "invoices",
            ["Mailing:Receivers:billing:Password"] = "pw",
            ["Mailing:Receivers:billing:Path"] = Maildir("billing"),
        };
        values[key] = value;
        using var provider = Build(values, m =>
        {
            m.AddMaildirReceiver();
            _ = transport switch
            {
                "imap" => m.AddImapReceiver("billing"),
                "pop3" => m.AddPop3Receiver("billing"),
                _ => m.AddMaildirReceiver("billing", _ => { }),
            };
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Mailing:Maildir:Receiver", error.Message, StringComparison.Ordinal);
        Assert.NotNull(provider.GetRequiredService<IMailReceiver>());
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<IMailReceiver>("billing"));
    }

    [Fact]
    public void Keyed_SectionOverload_ValidationNamesThatSectionsPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inboxes:Billing:Host"] = "pop.example.test",
            ["Inboxes:Billing:UserName"] = "invoices",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddPop3Receiver("billing", configuration.GetSection("Inboxes:Billing"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Inboxes:Billing:Password is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddMaildirReceiver_SameKeyTwice_OneReceiverAndTheLaterConfigureWins()
    {
        var first = Maildir("first");
        var second = Maildir("second");
        Deliver(second, "in second");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddMaildirReceiver("billing", first).AddMaildirReceiver("billing", o => o.Path = second);
        await using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IMailReceiver) && d.IsKeyedService);
        Assert.Single(provider.GetKeyedServices<IMailReceiver>("billing"));
        Assert.Equal(["in second"], await SubjectsAsync(provider.GetRequiredKeyedService<IMailReceiver>("billing")));
    }

    [Fact]
    public void AddReceiver_KeyTakenByAnotherTransport_RefusedNamingTheKeyAndLeavingTheServicesAsTheyWere()
    {
        var services = new ServiceCollection();
        var builder = services.AddMailing().AddMaildirReceiver("billing", Maildir("billing"));
        var before = services.Count;

        var imap = Assert.Throws<InvalidOperationException>(() => builder.AddImapReceiver("billing", Account("imap.example.test", "app")));
        var pop3 = Assert.Throws<InvalidOperationException>(() => builder.AddPop3Receiver("billing"));

        Assert.Contains("AddImapReceiver(\"billing\")", imap.Message, StringComparison.Ordinal);
        Assert.Contains("the maildir receiver", imap.Message, StringComparison.Ordinal);
        Assert.Contains("keyed 'billing'", pop3.Message, StringComparison.Ordinal);
        Assert.Equal(before, services.Count);
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(Mailing.Toolkit.Imap.Internal.ImapConnector));
        // Another key, or the unnamed slot, is still free.
        builder.AddPop3Receiver("support").AddImapReceiver(Account("imap.example.test", "app"));
        Assert.Equal(2, services.Count(d => d.ServiceType == typeof(IMailReceiver) && d.IsKeyedService));
        Assert.Single(services, d => d.ServiceType == typeof(IMailReceiver) && !d.IsKeyedService);
    }

    [Fact]
    public void AddReceiver_SecondUnnamedOfAnotherTransport_RefusedPointingAtKeys()
    {
        var builder = new ServiceCollection().AddMailing().AddMaildirReceiver(Maildir("main"));

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddPop3Receiver(_ => { }));

        Assert.Contains("the maildir receiver already is the unnamed one", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddPop3Receiver(\"billing\", ...)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("Default")]
    [InlineData("a:b")]
    [InlineData("bill\r\ning")]
    [InlineData(" billing")]
    [InlineData("")]
    public void AddReceiver_InvalidKey_ArgumentException(string key)
    {
        var builder = new ServiceCollection().AddMailing();

        Assert.ThrowsAny<ArgumentException>(() => builder.AddMaildirReceiver(key, Maildir("x")));
        Assert.ThrowsAny<ArgumentException>(() => builder.AddPop3Receiver(key));
        Assert.ThrowsAny<ArgumentException>(() => builder.AddImapReceiver(key));
        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IMailReceiver));
    }

    private static Action<ImapOptions> Account(string host, string user) => o =>
    {
        o.Host = host;
        o.UserName = user;
        o.Password = "pw";
    };

    private static ServiceProvider Build(Dictionary<string, string?> values, Action<IMailingBuilder> mailing)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        mailing(services.AddMailing(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Mailing")));
        return services.BuildServiceProvider();
    }

    private string Maildir(string name)
    {
        var path = Path.Combine(root, name);
        foreach (var folder in new[] { "new", "cur", "tmp" })
            Directory.CreateDirectory(Path.Combine(path, folder));
        return path;
    }

    private static void Deliver(string maildir, string subject) =>
        File.WriteAllBytes(
            Path.Combine(maildir, "new", $"1770000000.M{Guid.NewGuid():N}P1.test"),
            Encoding.UTF8.GetBytes($"From: a@example.org\r\nTo: b@example.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.org>\r\n\r\nHi\r\n"));

    private static async Task<List<string>> SubjectsAsync(IMailReceiver receiver)
    {
        var subjects = new List<string>();
        await foreach (var mail in receiver.ReceiveAsync())
        {
            await using var stream = await mail.OpenReadAsync();
            subjects.Add((await MimeKit.MimeMessage.LoadAsync(stream)).Subject ?? string.Empty);
        }

        return subjects;
    }

    private sealed class BillingWorker(
        [FromKeyedServices("billing")] IMailReceiver billing,
        [FromKeyedServices("support")] IMailReceiver support,
        IMailReceiver unnamed)
    {
        public IMailReceiver Billing { get; } = billing;

        public IMailReceiver Support { get; } = support;

        public IMailReceiver Default { get; } = unnamed;
    }
}
