using MailKit.Security;
using Mailing.Toolkit.Sieve;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Sieve;

public sealed class ManageSieveOptionsTests
{
    [Fact]
    public void Defaults_Port4190WithStartTlsRequired()
    {
        var options = new ManageSieveOptions { Host = "mail.example.test", UserName = "admin" };
        var explicitTls = new ManageSieveOptions { Host = "mail.example.test", Security = SecureSocketOptions.SslOnConnect };

        Assert.Equal((4190, SecureSocketOptions.StartTls), (options.EffectivePort, options.EffectiveSecurity));
        Assert.Equal((4190, SecureSocketOptions.SslOnConnect), (explicitTls.EffectivePort, explicitTls.EffectiveSecurity));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(100_000_000)]
    public void Validation_MaxScriptSizeOutOfRange_NamesTheKey(int size)
    {
        using var provider = Build(o =>
        {
            o.Host = "mail.example.test";
            o.UserName = "admin";
            o.MaxScriptSize = size;
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ManageSieveOptions>>().Value);

        Assert.Contains("Mailing:ManageSieve:MaxScriptSize must be 1024-67108864 bytes", error.Message);
    }

    [Fact]
    public void Validation_NoHostOrUser_NamesBothKeys()
    {
        using var provider = Build(_ => { });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ManageSieveOptions>>().Value);

        Assert.Contains("Mailing:ManageSieve:Host", error.Message);
        Assert.Contains("Mailing:ManageSieve:UserName", error.Message);
    }

    [Fact]
    public void AddManageSieve_RegistersTheClientAndTheFiltersOnce()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddManageSieve(o => o.Host = "a").AddManageSieve(o => (o.UserName, o.Password) = ("b", "p"));
        using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(IManageSieveClient));
        Assert.Single(services, d => d.ServiceType == typeof(IMailboxFilters));
        Assert.Equal(("a", "b"), (provider.GetRequiredService<IOptions<ManageSieveOptions>>().Value.Host, provider.GetRequiredService<IOptions<ManageSieveOptions>>().Value.UserName));
        Assert.NotNull(provider.GetRequiredService<IMailboxFilters>());
    }

    private static ServiceProvider Build(Action<ManageSieveOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddManageSieve(configure);
        return services.BuildServiceProvider();
    }
}
