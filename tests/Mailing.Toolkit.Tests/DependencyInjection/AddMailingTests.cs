using MailKit.Security;
using Mailing.Toolkit.Sending;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.DependencyInjection;

public sealed class AddMailingTests
{
    [Fact]
    public void AddMailing_FromConfiguration_BindsSmtpOptionsAndFailoverServers()
    {
        using var provider = Build(new()
        {
            ["Mailing:DefaultFrom"] = "Shop <shop@example.test>",
            ["Mailing:Smtp:Host"] = "smtp.example.test",
            ["Mailing:Smtp:Port"] = "2525",
            ["Mailing:Smtp:Security"] = "StartTls",
            ["Mailing:Smtp:MaxConnections"] = "8",
            ["Mailing:Smtp:Timeout"] = "00:00:05",
            ["Mailing:Smtp:FailoverServers:0:Host"] = "backup.example.test",
            ["Mailing:Smtp:FailoverServers:0:Port"] = "465",
            ["Mailing:Smtp:FailoverServers:0:Security"] = "SslOnConnect",
        }, m => m.AddSmtpSender());

        var options = provider.GetRequiredService<IOptions<SmtpSenderOptions>>().Value;

        Assert.Equal("smtp.example.test", options.Host);
        Assert.Equal(2525, options.Port);
        Assert.Equal(SecureSocketOptions.StartTls, options.Security);
        Assert.Equal(8, options.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        var backup = Assert.Single(options.FailoverServers);
        Assert.Equal(("backup.example.test", 465, SecureSocketOptions.SslOnConnect), (backup.Host, backup.Port, backup.Security));
        Assert.NotNull(provider.GetRequiredService<IMailSender>());
    }

    [Theory]
    [InlineData("Port", "70000", "Mailing:Smtp:Port must be 0-65535 (was 70000)")]
    [InlineData("Host", "", "Mailing:Smtp:Host is required.")]
    [InlineData("Host", "bad host\r\nname", "Mailing:Smtp:Host 'bad host name' is not a valid host name or IP address.")]
    [InlineData("MaxConnections", "0", "Mailing:Smtp:MaxConnections must be 1-1024 (was 0).")]
    [InlineData("Timeout", "00:00:00", "Mailing:Smtp:Timeout must be a duration between")]
    [InlineData("Timeout", "30", "Mailing:Smtp:Timeout must be a duration between 00:00:00.001 and 00:30:00, written hh:mm:ss (was 30.00:00:00)")]
    [InlineData("MaxAttempts", "50", "Mailing:Smtp:MaxAttempts must be 1-20 (was 50).")]
    public void AddSmtpSender_InvalidSetting_FailsNamingTheKey(string key, string value, string expected)
    {
        using var provider = Build(new() { ["Mailing:Smtp:Host"] = "smtp.example.test", [$"Mailing:Smtp:{key}"] = value }, m => m.AddSmtpSender());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailSender>());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSmtpSender_CredentialsWithPlaintext_FailsAtStart()
    {
        using var provider = Build(new()
        {
            ["Mailing:Smtp:Host"] = "smtp.example.test",
            ["Mailing:Smtp:Security"] = "None",
            ["Mailing:Smtp:UserName"] = "app",
            ["Mailing:Smtp:Password"] = "secret",
        }, m => m.AddSmtpSender());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailSender>());

        Assert.Contains("Mailing:Smtp:Security is None but Mailing:Smtp:UserName is set", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMailing_InvalidDefaultFrom_FailsNamingTheKey()
    {
        using var provider = Build(new() { ["Mailing:DefaultFrom"] = "not an address" }, m => m.AddInMemorySender());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailSender>());

        Assert.Contains("Mailing:DefaultFrom", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSmtpSender_Named_IsAKeyedServiceBoundFromSendersSection()
    {
        using var provider = Build(new()
        {
            ["Mailing:Smtp:Host"] = "transactional.example.test",
            ["Mailing:Senders:marketing:Host"] = "bulk.example.test",
            ["Mailing:Senders:marketing:MaxMessagesPerSecond"] = "10",
        }, m => m.AddSmtpSender().AddSmtpSender("marketing"));

        var monitor = provider.GetRequiredService<IOptionsMonitor<SmtpSenderOptions>>();

        Assert.Equal("transactional.example.test", monitor.CurrentValue.Host);
        Assert.Equal("bulk.example.test", monitor.Get("marketing").Host);
        Assert.Equal(10, monitor.Get("marketing").MaxMessagesPerSecond);
        var marketing = provider.GetRequiredKeyedService<IMailSender>("marketing");
        Assert.NotSame(provider.GetRequiredService<IMailSender>(), marketing);
    }

    [Fact]
    public void AddSmtpSender_Named_InvalidSettingNamesTheSendersKey()
    {
        using var provider = Build(new() { ["Mailing:Senders:marketing:Port"] = "-1" }, m => m.AddSmtpSender("marketing"));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredKeyedService<IMailSender>("marketing"));

        Assert.Contains("Mailing:Senders:marketing:Host is required.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Mailing:Senders:marketing:Port must be 0-65535", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSmtpSender_CalledTwice_RegistersOnce()
    {
        var services = new ServiceCollection();
        services.AddMailing().AddSmtpSender(o => o.Host = "a.example.test").AddSmtpSender(o => o.Port = 2525);
        services.AddMailing().AddSmtpSender();

        Assert.Single(services, d => d.ServiceType == typeof(IMailSender));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<SmtpSenderOptions>));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<SmtpSenderOptions>>().Value;
        Assert.Equal(("a.example.test", 2525), (options.Host, options.Port));
    }

    [Fact]
    public void AddSmtpSender_CalledAgain_DoesNotBindListsTwice()
    {
        using var provider = Build(new()
        {
            ["Mailing:Smtp:Host"] = "smtp.example.test",
            ["Mailing:Smtp:FailoverServers:0:Host"] = "backup.example.test",
        }, m => m.AddSmtpSender().AddSmtpSender(o => o.MaxConnections = 2));

        var options = provider.GetRequiredService<IOptions<SmtpSenderOptions>>().Value;

        Assert.Single(options.FailoverServers);
        Assert.Equal(2, options.MaxConnections);
    }

    [Fact]
    public void AddMaildirSender_AfterAnotherDefaultSender_ThrowsSuggestingAName()
    {
        var services = new ServiceCollection();
        var mailing = services.AddMailing().AddSmtpSender(o => o.Host = "smtp.example.test");

        var ex = Assert.Throws<InvalidOperationException>(() => mailing.AddMaildirSender("outbox"));

        Assert.Contains("another sender already is the default", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddInMemorySender_ReplacesTheApplicationsDefaultSender()
    {
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "app@example.test").AddSmtpSender(o => o.Host = "smtp.example.test");
        services.AddMailing().AddInMemorySender(); // what a test host adds after the application's registrations

        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage { To = { "a@example.test" } });

        Assert.Equal(1, provider.GetRequiredService<Mailing.Toolkit.Testing.InMemoryOutbox>().Count);
    }

    [Fact]
    public async Task AddLogging_AfterAddMailing_StillReceivesTheSendersLogs()
    {
        var logs = new Infrastructure.CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "app@example.test").AddInMemorySender();
        services.AddLogging(b => b.AddProvider(logs));

        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage { To = { "a@example.test" } });

        Assert.Contains(logs.Entries, e => e.EventId.Id == 1000);
    }

    [Fact]
    public void AddSmtpSender_ActionRunsAfterConfiguration()
    {
        using var provider = Build(new() { ["Mailing:Smtp:Host"] = "from-config.example.test", ["Mailing:Smtp:Port"] = "25" }, m => m.AddSmtpSender(o => o.Port = 587));

        var options = provider.GetRequiredService<IOptions<SmtpSenderOptions>>().Value;

        Assert.Equal(("from-config.example.test", 587), (options.Host, options.Port));
    }

    [Fact]
    public void AddMaildirSender_WithoutPath_FailsNamingTheKey()
    {
        using var provider = Build(new(), m => m.AddMaildirSender());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailSender>());

        Assert.Contains("Mailing:Maildir:Path is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedirectFilter_InvalidAddress_FailsNamingTheKey()
    {
        using var provider = Build(new() { ["Mailing:DefaultFrom"] = "app@example.test", ["Mailing:Redirect:To"] = "qa-inbox" }, m => m.AddInMemorySender().AddRedirectFilter());

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => provider.GetRequiredService<IMailSender>().SendAsync(new MailMessage { To = { "a@example.test" } }));

        Assert.Contains("Mailing:Redirect:To", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IMailingBuilder> configure)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        configure(services.AddMailing(configuration.GetSection("Mailing")));
        return services.BuildServiceProvider();
    }
}
