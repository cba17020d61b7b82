using System.Globalization;
using Mailing.Toolkit.Templating;
using Mailing.Toolkit.Testing;
using Mailing.Toolkit.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Templating;

/// <summary>A renderer package written the way a user writes one: public types only, options under Mailing:{key}.</summary>
public sealed class CustomRendererTests
{
    [Fact]
    public async Task SendTemplateAsync_UserRenderer_BindsItsOwnMailingSectionAndItsOutputIsSent()
    {
        await using var provider = Build(
            new() { ["Mailing:DefaultFrom"] = "shop@example.test", ["Mailing:GreetingTemplates:Greeting"] = "Welcome" },
            m => m.AddInMemorySender().AddGreetingTemplates());

        var renderer = provider.GetRequiredService<IMailTemplateRenderer>();
        await provider.GetRequiredService<IMailSender>().SendTemplateAsync(renderer, "welcome", "Alice", "alice@example.test", CultureInfo.InvariantCulture);

        var sent = provider.GetRequiredService<InMemoryOutbox>().Single();
        Assert.IsType<GreetingRenderer>(renderer);
        Assert.Equal("Welcome, Alice (welcome)", sent.Subject);
        Assert.Equal("<h1>Welcome, Alice</h1><p>See <a href=\"https://shop.example.test\">the shop</a>.</p>", sent.HtmlBody);
        Assert.Equal("Welcome, Alice\n==============\n\nSee the shop (https://shop.example.test).", sent.TextBody?.ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    [Fact]
    public void GetConfigurationSection_IsTheMailingSubsectionWithItsPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Mailing:GreetingTemplates:Greeting"] = "Hi" }).Build();

        var section = new ServiceCollection().AddMailing(configuration.GetSection("Mailing")).GetConfigurationSection("GreetingTemplates");

        Assert.NotNull(section);
        Assert.Equal("Mailing:GreetingTemplates", section.Path);
        Assert.Equal("Hi", section["Greeting"]);
    }

    [Fact]
    public void GetConfigurationSection_AddMailingWithoutConfiguration_IsNull()
    {
        var builder = new ServiceCollection().AddMailing(o => o.DefaultFrom = "shop@example.test");

        Assert.Null(builder.GetConfigurationSection("GreetingTemplates"));
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IMailingBuilder> configure)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        configure(services.AddMailing(configuration.GetSection("Mailing")));
        return services.BuildServiceProvider();
    }
}

public sealed class GreetingTemplateOptions
{
    public string Greeting { get; set; } = "Hello";
}

/// <summary>What a third-party renderer package ships: a builder extension and an IMailTemplateRenderer.</summary>
public static class GreetingTemplatesExtensions
{
    public static IMailingBuilder AddGreetingTemplates(this IMailingBuilder builder)
    {
        var options = builder.Services.AddOptions<GreetingTemplateOptions>();
        if (builder.GetConfigurationSection("GreetingTemplates") is { } section)
            options.Bind(section);
        builder.Services.TryAddSingleton<IMailTemplateRenderer, GreetingRenderer>();
        return builder;
    }
}

internal sealed class GreetingRenderer(IOptions<GreetingTemplateOptions> options) : IMailTemplateRenderer
{
    public ValueTask<RenderedMail> RenderAsync(string name, object? model, CultureInfo? culture = null, CancellationToken cancellationToken = default)
    {
        var greeting = $"{options.Value.Greeting}, {model}";
        var html = $"<h1>{System.Net.WebUtility.HtmlEncode(greeting)}</h1><p>See <a href=\"https://shop.example.test\">the shop</a>.</p>";
        return ValueTask.FromResult(new RenderedMail($"{greeting} ({name})", html, HtmlToText.Convert(html)));
    }
}
