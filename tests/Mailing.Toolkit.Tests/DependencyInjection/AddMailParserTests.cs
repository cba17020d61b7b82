using Mailing.Toolkit.Parsing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.DependencyInjection;

public sealed class AddMailParserTests
{
    [Fact]
    public void AddMailParser_FromConfiguration_BindsMailingParsing()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Parsing:MaxMessageSize"] = "1000",
            ["Mailing:Parsing:ExtractReply"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddMailing(configuration.GetSection("Mailing")).AddMailParser().AddMailParser();

        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<MailParserOptions>>().Value;
        Assert.Equal((1000L, false), (options.MaxMessageSize, options.ExtractReply));
        Assert.Same(provider.GetRequiredService<IMailParser>(), provider.GetRequiredService<IMailParser>());
        Assert.Single(services, d => d.ServiceType == typeof(IMailParser));
    }

    [Fact]
    public void AddMailParser_InvalidLimit_FailsNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddMailing().AddMailParser(o => o.MaxHeaderCount = 0);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MailParserOptions>>().Value);

        Assert.Contains("Mailing:Parsing:MaxHeaderCount must be greater than 0 (was 0)", error.Message, StringComparison.Ordinal);
    }
}
