using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Receiving;

public sealed class Pop3ReceiverOptionsTests
{
    [Theory]
    [InlineData(SecureSocketOptions.Auto, 0, 110, SecureSocketOptions.StartTls)]
    [InlineData(SecureSocketOptions.Auto, 995, 995, SecureSocketOptions.SslOnConnect)]
    [InlineData(SecureSocketOptions.SslOnConnect, 0, 995, SecureSocketOptions.SslOnConnect)]
    [InlineData(SecureSocketOptions.StartTls, 0, 110, SecureSocketOptions.StartTls)]
    [InlineData(SecureSocketOptions.StartTlsWhenAvailable, 2110, 2110, SecureSocketOptions.StartTlsWhenAvailable)]
    public void EffectivePortAndSecurity_FollowTheRules(SecureSocketOptions security, int port, int expectedPort, SecureSocketOptions expectedSecurity)
    {
        var options = new Pop3ReceiverOptions { Host = "h", Port = port, Security = security, UserName = "u" };

        Assert.Equal((expectedPort, expectedSecurity), (options.EffectivePort, options.EffectiveSecurity));
        Assert.Equal($"pop3://u@h:{expectedPort}", options.EffectiveStateKey);
    }

    [Fact]
    public void AddPop3Receiver_FromConfiguration_BindsMailingPop3()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Pop3:Host"] = "pop.example.test",
            ["Mailing:Pop3:UserName"] = "app",
            ["Mailing:Pop3:Password"] = "pw",
            ["Mailing:Pop3:DeleteAfterHandling"] = "true",
            ["Mailing:Pop3:StateFilePath"] = "state/pop3.json",
            ["Mailing:Pop3:Timeout"] = "00:00:10",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing")).AddPop3Receiver().AddPop3Receiver(o => o.Port = 995);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<Pop3ReceiverOptions>>().Value;

        Assert.Equal(("pop.example.test", 995, true, "state/pop3.json", TimeSpan.FromSeconds(10)), (options.Host, options.Port, options.DeleteAfterHandling, options.StateFilePath, options.Timeout));
        Assert.False(options.DangerousAcceptAnyServerCertificate);
        Assert.True(options.CheckCertificateRevocation);
        Assert.Single(services, d => d.ServiceType == typeof(IMailReceiver));
    }

    [Theory]
    [InlineData("Host", "", "Mailing:Pop3:Host is required")]
    [InlineData("Host", "pop\r\nQUIT", "Mailing:Pop3:Host 'pop QUIT' is not a valid host name")]
    [InlineData("Port", "70000", "Mailing:Pop3:Port must be 0-65535 (was 70000)")]
    [InlineData("Security", "None", "Mailing:Pop3:Security is None")]
    [InlineData("UserName", "", "Mailing:Pop3:UserName is required")]
    [InlineData("Password", "", "Mailing:Pop3:Password is required")]
    [InlineData("Timeout", "30", "Mailing:Pop3:Timeout must be a duration")]
    [InlineData("MaxConnectAttempts", "0", "Mailing:Pop3:MaxConnectAttempts must be 1-100 (was 0)")]
    [InlineData("ReconnectMaxDelay", "00:00:00.1", "Mailing:Pop3:ReconnectMaxDelay must be at least ReconnectBaseDelay")]
    public void AddPop3Receiver_InvalidValue_FailsAtStartNamingTheKey(string key, string value, string expected)
    {
        var values = new Dictionary<string, string?>
        {
            ["Mailing:Pop3:Host"] = "pop.example.test",
            ["Mailing:Pop3:UserName"] = "app",
            ["Mailing:Pop3:Password"] = "pw",
        };
        values[$"Mailing:Pop3:{key}"] = value;
        var services = new ServiceCollection();
        services.AddMailing(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Mailing")).AddPop3Receiver();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Pop3ReceiverOptions>>().Value);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", error.Message.Replace("pop", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void AddPop3Receiver_SectionOverload_NamesThatSectionsPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Inbox:Pop:Host"] = "" }).Build();
        var services = new ServiceCollection();
        services.AddMailing().AddPop3Receiver(configuration.GetSection("Inbox:Pop"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Pop3ReceiverOptions>>().Value);

        Assert.Contains("Inbox:Pop:Host is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveStore_PrefersTheStateFileThenTheRegisteredStoreThenMemory()
    {
        var path = Path.Combine(Path.GetTempPath(), "mailing-pop3-" + Guid.NewGuid().ToString("N") + ".json");
        var registered = new InMemoryMailboxStateStore();
        var services = new ServiceCollection();
        services.AddMailing().AddPop3Receiver();
        using var withoutStore = services.BuildServiceProvider();
        services.AddSingleton<IMailboxStateStore>(registered);
        using var withStore = services.BuildServiceProvider();

        var file = MailboxStateFiles.Resolve(withStore, path);
        var fromContainer = MailboxStateFiles.Resolve(withStore, null);
        var memory = MailboxStateFiles.Resolve(withoutStore, " ");

        Assert.True(file.Durable);
        Assert.Equal(Path.GetFullPath(path), Assert.IsType<FileMailboxStateStore>(file.Store).FilePath);
        Assert.Equal((registered, true), (fromContainer.Store, fromContainer.Durable));
        Assert.IsType<InMemoryMailboxStateStore>(memory.Store);
        Assert.False(memory.Durable);
    }
}
