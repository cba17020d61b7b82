using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Receiving;

public sealed class ImapReceiverOptionsTests
{
    private static readonly Dictionary<string, string?> Account = new()
    {
        ["Mailing:Imap:Host"] = "imap.example.test",
        ["Mailing:Imap:UserName"] = "app",
        ["Mailing:Imap:Password"] = "pw",
    };

    [Fact]
    public void AddImapReceiver_FromConfiguration_BindsMailingImapReceiverAndRegistersTheNotifier()
    {
        var values = new Dictionary<string, string?>(Account)
        {
            ["Mailing:Imap:Receiver:Folder"] = "Support/Inbound",
            ["Mailing:Imap:Receiver:ClaimFolder"] = "Processing/worker-1",
            ["Mailing:Imap:Receiver:BatchSize"] = "50",
            ["Mailing:Imap:Receiver:UseIdle"] = "false",
            ["Mailing:Imap:Receiver:PollInterval"] = "00:00:20",
        };
        var services = new ServiceCollection();
        services.AddMailing(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Mailing"))
            .AddImapReceiver()
            .AddImapReceiver(o => o.Port = 993, r => r.StateKey = "worker-1");
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ImapReceiverOptions>>().Value;

        Assert.Equal(("Support/Inbound", "Processing/worker-1", 50, false, TimeSpan.FromSeconds(20), "worker-1"),
            (options.Folder, options.ClaimFolder, options.BatchSize, options.UseIdle, options.PollInterval, options.StateKey));
        Assert.Equal(TimeSpan.FromMinutes(9), options.IdleRestartInterval);
        Assert.Same(provider.GetRequiredService<IMailReceiver>(), provider.GetRequiredService<IMailArrivalNotifier>());
        Assert.Single(services, d => d.ServiceType == typeof(IMailReceiver));
    }

    [Theory]
    [InlineData("Folder", "", "Mailing:Imap:Receiver:Folder is required")]
    [InlineData("Folder", "INBOX\r\nA1 DELETE INBOX", "Mailing:Imap:Receiver:Folder 'INBOX A1 DELETE INBOX' is not a valid folder name")]
    [InlineData("Folder", "Support/*", "Mailing:Imap:Receiver:Folder 'Support/*' is not a valid folder name")]
    [InlineData("ClaimFolder", "Processing\n", "Mailing:Imap:Receiver:ClaimFolder 'Processing ' is not a valid folder name")]
    [InlineData("ClaimFolder", "inbox", "Mailing:Imap:Receiver:ClaimFolder must differ from Folder")]
    [InlineData("BatchSize", "0", "Mailing:Imap:Receiver:BatchSize must be 1-1000 (was 0)")]
    [InlineData("MaxPrefetchSize", "-1", "Mailing:Imap:Receiver:MaxPrefetchSize must be 0 or more")]
    [InlineData("MaxPrefetchBatchBytes", "-1", "Mailing:Imap:Receiver:MaxPrefetchBatchBytes must be 0 or more")]
    [InlineData("IdleRestartInterval", "00:30:00", "Mailing:Imap:Receiver:IdleRestartInterval must be between 00:00:01 and 00:29:00")]
    [InlineData("PollInterval", "30", "Mailing:Imap:Receiver:PollInterval must be a duration")]
    [InlineData("StateKey", "a\r\nb", "Mailing:Imap:Receiver:StateKey must not contain CR, LF or NUL")]
    [InlineData("MaxConnectAttempts", "0", "Mailing:Imap:Receiver:MaxConnectAttempts must be 1-100 (was 0)")]
    [InlineData("ReconnectMaxDelay", "00:00:00.1", "Mailing:Imap:Receiver:ReconnectMaxDelay must be at least ReconnectBaseDelay")]
    public void AddImapReceiver_InvalidValue_FailsAtStartNamingTheKey(string key, string value, string expected)
    {
        var values = new Dictionary<string, string?>(Account) { [$"Mailing:Imap:Receiver:{key}"] = value };
        var services = new ServiceCollection();
        services.AddMailing(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Mailing")).AddImapReceiver();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ImapReceiverOptions>>().Value);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddImapReceiver_SectionOverload_NamesThatSectionsPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inbox:Imap:Host"] = "imap.example.test",
            ["Inbox:Imap:Receiver:BatchSize"] = "5000",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing().AddImapReceiver(configuration.GetSection("Inbox:Imap"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ImapReceiverOptions>>().Value);

        Assert.Contains("Inbox:Imap:Receiver:BatchSize must be 1-1000 (was 5000)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddImapReceiver_AfterAnotherReceiver_Throws()
    {
        var builder = new ServiceCollection().AddMailing().AddMaildirReceiver("/tmp/maildir");

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddImapReceiver(o => o.Host = "imap.example.test"));

        Assert.Contains("AddImapReceiver()", error.Message, StringComparison.Ordinal);
    }
}
