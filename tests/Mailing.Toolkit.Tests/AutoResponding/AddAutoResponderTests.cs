using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Templating;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Moq;
using static Mailing.Toolkit.Tests.AutoResponding.AutoReplyTestHost;

namespace Mailing.Toolkit.Tests.AutoResponding;

public sealed class AddAutoResponderTests
{
    [Fact]
    public async Task AddAutoResponder_FromConfiguration_BindsRulesAndAnswers()
    {
        await using var host = new AutoReplyTestHost(configuration: new()
        {
            ["Mailing:DefaultFrom"] = "app@shop.example",
            ["Mailing:AutoResponder:From"] = "Support <support@shop.example>",
            ["Mailing:AutoResponder:Interval"] = "1.00:00:00",
            ["Mailing:AutoResponder:OwnAddresses:0"] = "*@internal.shop.example",
            ["Mailing:AutoResponder:Rules:0:Name"] = "orders",
            ["Mailing:AutoResponder:Rules:0:Recipients:0"] = "orders@shop.example",
            ["Mailing:AutoResponder:Rules:0:Subject"] = @"#(?<order>\d+)",
            ["Mailing:AutoResponder:Rules:0:Headers:X-Channel"] = "^web$",
            ["Mailing:AutoResponder:Rules:0:FirstMessageOfThreadOnly"] = "true",
            ["Mailing:AutoResponder:Rules:0:ActiveFrom"] = "2026-01-01T00:00:00Z",
            ["Mailing:AutoResponder:Rules:0:ReplySubject"] = "Order {order} received",
            ["Mailing:AutoResponder:Rules:0:Text"] = "Thanks!",
            ["Mailing:AutoResponder:Rules:0:Interval"] = "02:00:00",
        });

        var options = host.Provider.GetRequiredService<IOptions<AutoResponderOptions>>().Value;
        var rule = Assert.Single(options.Rules);
        Assert.Equal(("orders", "orders@shop.example", "^web$", true), (rule.Name, rule.Recipients.Single(), rule.Headers["x-channel"], rule.FirstMessageOfThreadOnly));
        Assert.Equal(TimeSpan.FromHours(2), rule.Interval);
        Assert.Equal(TimeSpan.FromDays(1), options.Interval);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), rule.ActiveFrom);
        Assert.Equal("*@internal.shop.example", Assert.Single(options.OwnAddresses));

        var mail = Mail(subject: "Order #12", headers: new Mailing.Toolkit.Parsing.ParsedHeader("X-Channel", "web"));
        var response = await host.Responder.RespondAsync(mail, "orders@shop.example");

        Assert.True(response.Replied);
        Assert.Equal("Order 12 received", host.Outbox.Single().Subject);
    }

    [Fact]
    public async Task AddAutoResponder_ConfigurationAndCode_RulesFromBoth()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:AutoResponder:Rules:0:Name"] = "from-config",
            ["Mailing:AutoResponder:Rules:0:Subject"] = "config",
            ["Mailing:AutoResponder:Rules:0:Text"] = "config",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing"))
            .AddInMemorySender()
            .AddAutoResponder(o => o.Rules.Add(new AutoReplyRule { Name = "from-code", Text = "code" }))
            .AddAutoResponder(); // a second call registers nothing twice
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AutoResponderOptions>>().Value;

        Assert.Equal(["from-config", "from-code"], options.Rules.Select(r => r.Name));
        Assert.Single(services, d => d.ServiceType == typeof(IAutoResponder));
    }

    [Fact]
    public async Task AddAutoResponder_Section_BindsThatSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Replies:Rules:0:Name"] = "r",
            ["Replies:Rules:0:Subject"] = "(unclosed",
            ["Replies:Rules:0:Text"] = "x",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing().AddInMemorySender().AddAutoResponder(configuration.GetSection("Replies"));
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IAutoResponder>());

        Assert.Contains("Replies:Rules:0:Subject is not a valid regular expression", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Rules:0:Subject", "(unclosed", "Mailing:AutoResponder:Rules:0:Subject is not a valid regular expression")]
    [InlineData("Rules:0:Body", "[z-a]", "Mailing:AutoResponder:Rules:0:Body is not a valid regular expression")]
    [InlineData("Rules:0:Headers:X-Test", "(?<", "Mailing:AutoResponder:Rules:0:Headers:X-Test is not a valid regular expression")]
    [InlineData("Rules:0:From", "not an address", "Mailing:AutoResponder:Rules:0:From 'not an address' must be one email address")]
    [InlineData("From", "a@b@c", "Mailing:AutoResponder:From 'a@b@c' must be one email address")]
    [InlineData("Rules:0:Name", "", "Mailing:AutoResponder:Rules:0:Name is required")]
    [InlineData("Rules:0:Text", null, "Mailing:AutoResponder:Rules:0 needs a response: Text, Html or Template.")]
    [InlineData("Rules:0:Template", "ticket", "Mailing:AutoResponder:Rules:0:Template 'ticket' needs a template renderer")]
    [InlineData("Rules:0:ActiveUntil", "2020-01-01T00:00:00Z", "Mailing:AutoResponder:Rules:0:ActiveUntil must be later than ActiveFrom.")]
    [InlineData("Rules:0:Recipients:0", "sup port@x", "Mailing:AutoResponder:Rules:0:Recipients:0 'sup port@x' must be an address pattern")]
    [InlineData("Interval", "00:00:00", "Mailing:AutoResponder:Interval must be a positive duration")]
    [InlineData("RegexTimeout", "00:01:00", "Mailing:AutoResponder:RegexTimeout must be between")]
    public void AddAutoResponder_InvalidSetting_FailsAtStartNamingTheKey(string key, string? value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Mailing:AutoResponder:Rules:0:Name"] = "r",
            ["Mailing:AutoResponder:Rules:0:ActiveFrom"] = "2021-01-01T00:00:00Z",
            ["Mailing:AutoResponder:Rules:0:Text"] = "Thanks",
        };
        settings[$"Mailing:AutoResponder:{key}"] = value;
        if (key == "Rules:0:Template")
            settings.Remove("Mailing:AutoResponder:Rules:0:Text");
        var services = new ServiceCollection();
        services.AddMailing(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Mailing")).AddInMemorySender().AddAutoResponder();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IAutoResponder>());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddAutoResponder_TemplateWithRegisteredRenderer_IsValid()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMailTemplateRenderer>(new Mock<IMailTemplateRenderer>().Object);
        services.AddMailing().AddInMemorySender().AddAutoResponder(o => o.Rules.Add(new AutoReplyRule { Name = "t", Template = "ticket" }));
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<IAutoResponder>());
    }

    [Fact]
    public async Task AddAutoResponder_OwnHistoryRegistered_IsUsed()
    {
        var history = new Mock<IAutoReplyHistory>();
        history.Setup(h => h.TryRecordAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<DateTimeOffset>(), It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(false);
        await using var host = new AutoReplyTestHost(o => o.Rules.Add(AcknowledgeRule()), services: s => s.AddSingleton(history.Object));

        var response = await host.Responder.RespondAsync(Mail(), Support);

        Assert.Equal(AutoReplySuppression.RecentlyReplied, response.Suppression);
        history.Verify(h => h.TryRecordAsync(Support, "alice@example.test", host.Time.GetUtcNow(), TimeSpan.FromDays(7), It.IsAny<CancellationToken>()));
    }
}
