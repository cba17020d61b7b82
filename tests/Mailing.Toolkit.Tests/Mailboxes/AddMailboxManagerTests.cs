using MailKit.Security;
using Mailing.Toolkit.Imap;
using Mailing.Toolkit.Mailboxes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Mailboxes;

public sealed class AddMailboxManagerTests
{
    [Fact]
    public void AddMailboxManager_FromConfiguration_BindsMailingImap()
    {
        using var provider = Build(new()
        {
            ["Mailing:Imap:Host"] = "imap.example.com",
            ["Mailing:Imap:Port"] = "1143",
            ["Mailing:Imap:Security"] = "SslOnConnect",
            ["Mailing:Imap:UserName"] = "app@example.com",
            ["Mailing:Imap:Password"] = "pw",
            ["Mailing:Imap:Timeout"] = "00:00:10",
        }, b => b.AddMailboxManager());

        var options = provider.GetRequiredService<IOptions<ImapOptions>>().Value;

        Assert.Equal(("imap.example.com", 1143, SecureSocketOptions.SslOnConnect, "app@example.com"), (options.Host, options.Port, options.Security, options.UserName));
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.True(options.CheckCertificateRevocation);
        Assert.False(options.DangerousAcceptAnyServerCertificate);
        Assert.NotNull(provider.GetRequiredService<IMailboxManager>());
    }

    [Fact]
    public void AddMailboxManager_CalledTwice_RegistersOnceAndAppliesBothActions()
    {
        var services = new ServiceCollection();
        services.AddMailing()
            .AddMailboxManager(o => (o.Host, o.UserName, o.Password) = ("imap.example.com", "u", "p"))
            .AddMailboxManager(o => o.Port = 993);
        using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IMailboxManager));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<ImapOptions>));
        var options = provider.GetRequiredService<IOptions<ImapOptions>>().Value;
        Assert.Equal(("imap.example.com", 993), (options.Host, options.Port));
        Assert.Same(provider.GetRequiredService<IMailboxManager>(), provider.GetRequiredService<IMailboxManager>());
    }

    [Fact]
    public void AddMailboxManager_Section_ErrorsNameThatSectionsKeys()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Accounts:Support:Port"] = "70000" }).Build();
        var services = new ServiceCollection();
        services.AddMailing().AddMailboxManager(configuration.GetSection("Accounts:Support"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailboxManager>());

        Assert.Contains("Accounts:Support:Host is required.", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("Accounts:Support:Port must be 0-65535", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Host", "", "Mailing:Imap:Host is required.")]
    [InlineData("Host", "bad host name", "Mailing:Imap:Host 'bad host name' is not a valid host name or IP address.")]
    [InlineData("Port", "-1", "Mailing:Imap:Port must be 0-65535 (was -1); 0 picks 993 or 143 from Security.")]
    [InlineData("UserName", "", "Mailing:Imap:UserName is required: IMAP needs a login.")]
    [InlineData("Password", "", "Mailing:Imap:Password is required (or set AccessTokenProvider in code for OAuth2).")]
    [InlineData("Security", "None", "Mailing:Imap:Security is None but Mailing:Imap:UserName is set: credentials are never sent over an unencrypted connection. Use Auto, StartTls or SslOnConnect.")]
    [InlineData("Timeout", "30", "Mailing:Imap:Timeout must be a duration between 00:00:00.001 and 00:30:00, written hh:mm:ss (was 30.00:00:00).")]
    [InlineData("Timeout", "00:00:00", "Mailing:Imap:Timeout must be a duration between 00:00:00.001 and 00:30:00, written hh:mm:ss (was 00:00:00).")]
    public void AddMailboxManager_InvalidSetting_FailsAtStartNamingTheKey(string key, string value, string expected)
    {
        var settings = Valid();
        settings[$"Mailing:Imap:{key}"] = value;
        using var provider = Build(settings, b => b.AddMailboxManager());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailboxManager>());

        Assert.Equal([expected], ex.Failures);
    }

    [Fact]
    public void AddMailboxManager_AccessTokenProviderWithoutPassword_IsValid()
    {
        var settings = Valid();
        settings.Remove("Mailing:Imap:Password");
        using var provider = Build(settings, b => b.AddMailboxManager(o => o.AccessTokenProvider = (_, _) => ValueTask.FromResult("token")));

        Assert.NotNull(provider.GetRequiredService<IMailboxManager>());
    }

    [Fact]
    public async Task AddMailboxManager_InvalidConfiguration_FailsWhenTheHostStarts()
    {
        var services = new ServiceCollection();
        services.AddMailing().AddMailboxManager(o => o.Host = "imap.example.com");
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());

        Assert.Contains("Mailing:Imap:UserName is required: IMAP needs a login.", ex.Failures);
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Mailing:Imap:Host"] = "imap.example.com",
        ["Mailing:Imap:UserName"] = "app@example.com",
        ["Mailing:Imap:Password"] = "pw",
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IMailingBuilder> add)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        add(services.AddMailing(configuration.GetSection("Mailing")));
        return services.BuildServiceProvider();
    }
}
