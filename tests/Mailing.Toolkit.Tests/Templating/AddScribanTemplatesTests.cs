using Mailing.Toolkit.Scriban;
using Mailing.Toolkit.Templating;
using Mailing.Toolkit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Templating;

public sealed class AddScribanTemplatesTests
{
    [Fact]
    public async Task AddScribanTemplates_FromTheMailingSection_BindsMailingTemplates()
    {
        await using var provider = Build(
            new()
            {
                ["Mailing:Templates:Root"] = TemplateTestData.Example,
                ["Mailing:Templates:LoopLimit"] = "500",
                ["Mailing:Templates:RenderTimeout"] = "00:00:02",
                ["Mailing:Templates:InlineCss"] = "false",
            },
            m => m.AddScribanTemplates());

        var options = provider.GetRequiredService<IOptions<ScribanTemplateOptions>>().Value;
        var mail = await provider.GetRequiredService<IMailTemplateRenderer>().RenderAsync("welcome", TemplateTestData.Welcome(), TemplateTestData.English);

        Assert.Equal((TemplateTestData.Example, 500, TimeSpan.FromSeconds(2), false), (options.Root, options.LoopLimit, options.RenderTimeout, options.InlineCss));
        Assert.Equal("Welcome to Example Shop, Alice Example!", mail.Subject);
    }

    [Fact]
    public async Task AddScribanTemplates_WithAnAction_RunsAfterTheSection()
    {
        await using var provider = Build(
            new() { ["Mailing:Templates:Root"] = "/nowhere", ["Mailing:Templates:StrictVariables"] = "false" },
            m => m.AddScribanTemplates(o => o.Root = TemplateTestData.Example));

        var options = provider.GetRequiredService<IOptions<ScribanTemplateOptions>>().Value;

        Assert.Equal(TemplateTestData.Example, options.Root);
        Assert.False(options.StrictVariables);
        Assert.NotNull(provider.GetRequiredService<IMailTemplateRenderer>());
    }

    [Fact]
    public async Task AddScribanTemplates_WithASection_BindsIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Email:Views:InMemoryTemplates:hi/subject.scriban"] = "Hi {{ name }}",
            ["Email:Views:InMemoryTemplates:hi/html.scriban"] = "<p>Hi {{ name }}</p>",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing().AddScribanTemplates(configuration.GetSection("Email:Views"));
        await using var provider = services.BuildServiceProvider();

        var mail = await provider.GetRequiredService<IMailTemplateRenderer>().RenderAsync("hi", new { Name = "Bo" });

        Assert.Equal("Hi Bo", mail.Subject);
    }

    [Fact]
    public async Task AddScribanTemplates_Twice_RegistersOneRendererWithBothConfigurations()
    {
        await using var provider = Build([], m => m
            .AddScribanTemplates(o => o.Root = TemplateTestData.Example)
            .AddScribanTemplates(o => o.LoopLimit = 123));

        Assert.Single(provider.GetServices<IMailTemplateRenderer>());
        Assert.Equal(123, provider.GetRequiredService<IOptions<ScribanTemplateOptions>>().Value.LoopLimit);
    }

    [Theory]
    [InlineData(null, null, "Mailing:Templates:Root is required: the folder the email templates are read from")]
    [InlineData("Root", "/no/such/folder", "Mailing:Templates:Root '/no/such/folder' does not exist")]
    [InlineData("LoopLimit", "0", "Mailing:Templates:LoopLimit must be 1-100000000 (was 0).")]
    [InlineData("RecursiveLimit", "5000", "Mailing:Templates:RecursiveLimit must be 1-1000 (was 5000).")]
    [InlineData("OutputLimit", "10", "Mailing:Templates:OutputLimit must be 1024-100000000 characters (was 10).")]
    [InlineData("RenderTimeout", "5", "Mailing:Templates:RenderTimeout must be a duration between 00:00:00.001 and 01:00:00, written hh:mm:ss (was 5.00:00:00).")]
    [InlineData("DefaultLayout", "../x", "Mailing:Templates:DefaultLayout: The layout name '../x' may not contain '..'")]
    [InlineData("ResourcePrefix", "X.Templates", "Mailing:Templates:ResourcePrefix is set but ResourceAssembly is not")]
    public async Task AddScribanTemplates_InvalidSetting_FailsAtStartNamingTheKey(string? key, string? value, string expected)
    {
        var settings = new Dictionary<string, string?>();
        if (key is not null && key != "Root")
            settings["Mailing:Templates:Root"] = TemplateTestData.Example;
        if (key is not null)
            settings[$"Mailing:Templates:{key}"] = value;
        await using var provider = Build(settings, m => m.AddScribanTemplates());

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailTemplateRenderer>());

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddScribanTemplates_TwoSourcesOrWatchingWithoutAFolder_FailAtStart()
    {
        await using var provider = Build([], m => m.AddScribanTemplates(o =>
        {
            o.Root = TemplateTestData.Example;
            o.InMemoryTemplates["a/html.scriban"] = "x";
        }));
        await using var watching = Build([], m => m.AddScribanTemplates(o =>
        {
            o.InMemoryTemplates["a/html.scriban"] = "x";
            o.WatchForChanges = true;
        }));

        Assert.Contains("Mailing:Templates: set one template source, not Root and InMemoryTemplates.", Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IMailTemplateRenderer>()).Message, StringComparison.Ordinal);
        Assert.Contains("Mailing:Templates:WatchForChanges works with templates in a folder only", Assert.Throws<OptionsValidationException>(() => watching.GetRequiredService<IMailTemplateRenderer>()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendTemplateAsync_RendersAndSendsInOneCall()
    {
        await using var provider = Build([], m => m
            .AddInMemorySender()
            .AddScribanTemplates(o => o.Root = TemplateTestData.Example));
        var sender = provider.GetRequiredService<IMailSender>();
        var templates = provider.GetRequiredService<IMailTemplateRenderer>();

        await sender.SendTemplateAsync(templates, "welcome", TemplateTestData.Welcome(), "Alice <alice@example.test>", TemplateTestData.PolishPoland);
        await sender.SendTemplateAsync(templates, "password-reset", new { CustomerName = "Bob", ResetUrl = "https://x.example/r", ValidHours = 1 }, new MailMessage
        {
            From = "Shop <shop@example.test>",
            To = { "bob@example.test" },
            Headers = { { "X-Campaign", "reset" } },
        });

        var outbox = provider.GetRequiredService<InMemoryOutbox>();
        var welcome = outbox.Single(m => m.WasSentTo("alice@example.test"));
        Assert.Equal("Witamy w Example Shop, Alice Example!", welcome.Subject);
        Assert.Contains("Witaj, Alice Example!", welcome.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("Witaj, Alice Example!", welcome.TextBody, StringComparison.Ordinal);
        var reset = outbox.Single(m => m.WasSentTo("bob@example.test"));
        Assert.Equal("Reset your Example Shop password", reset.Subject);
        Assert.Equal("reset", reset.Message.Headers["X-Campaign"]);
        Assert.StartsWith("Hello Bob,", reset.TextBody, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IMailingBuilder> configure)
    {
        settings.TryAdd("Mailing:DefaultFrom", "Shop <shop@example.test>");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        configure(services.AddMailing(configuration.GetSection("Mailing")));
        return services.BuildServiceProvider();
    }
}
