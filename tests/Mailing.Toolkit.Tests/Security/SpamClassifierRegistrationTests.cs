using System.Net;
using System.Net.Sockets;
using Mailing.Toolkit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Tests.Security;

public sealed class SpamClassifierRegistrationTests
{
    [Fact]
    public void AddRspamdThenAddSpamAssassin_FirstIsTheDefaultAndBothAreKeyed()
    {
        using var provider = Build(b => b.AddRspamd().AddSpamAssassin());

        var rspamd = provider.GetRequiredKeyedService<ISpamClassifier>(MailingBuilderSpamExtensions.RspamdKey);
        var spamd = provider.GetRequiredKeyedService<ISpamClassifier>(MailingBuilderSpamExtensions.SpamAssassinKey);

        Assert.Same(rspamd, provider.GetRequiredService<ISpamClassifier>());
        Assert.NotSame(rspamd, spamd);
        Assert.Equal(("rspamd", "spamassassin"), (MailingBuilderSpamExtensions.RspamdKey, MailingBuilderSpamExtensions.SpamAssassinKey));
    }

    [Fact]
    public void AddSpamAssassinThenAddRspamd_SpamAssassinIsTheDefault()
    {
        using var provider = Build(b => b.AddSpamAssassin().AddRspamd());

        Assert.Same(provider.GetRequiredKeyedService<ISpamClassifier>("spamassassin"), provider.GetRequiredService<ISpamClassifier>());
    }

    [Fact]
    public void AddRspamdTwice_RegistersOnceAndAppliesBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddRspamd(o => o.Timeout = TimeSpan.FromSeconds(3)).AddRspamd(o => o.FailureMode = SpamFailureMode.FailClosed);
        using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(ISpamClassifier) && d.IsKeyedService);
        Assert.Single(services, d => d.ServiceType == typeof(ISpamClassifier) && !d.IsKeyedService);
        var options = provider.GetRequiredService<IOptions<RspamdOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(3), SpamFailureMode.FailClosed), (options.Timeout, options.FailureMode));
    }

    [Fact]
    public void AddMailingWithConfiguration_BindsMailingRspamdAndMailingSpamAssassin()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mailing:Rspamd:Url"] = "http://scanner.test:11333",
            ["Mailing:Rspamd:FailureMode"] = "FailClosed",
            ["Mailing:SpamAssassin:Host"] = "spamd.test",
            ["Mailing:SpamAssassin:Port"] = "7830",
            ["Mailing:SpamAssassin:Command"] = "Symbols",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing(configuration.GetSection("Mailing")).AddRspamd().AddSpamAssassin();
        using var provider = services.BuildServiceProvider();

        var rspamd = provider.GetRequiredService<IOptions<RspamdOptions>>().Value;
        var spamd = provider.GetRequiredService<IOptions<SpamAssassinOptions>>().Value;

        Assert.Equal((new Uri("http://scanner.test:11333"), SpamFailureMode.FailClosed), (rspamd.Url, rspamd.FailureMode));
        Assert.Equal(("spamd.test", 7830, SpamdCommand.Symbols), (spamd.Host, spamd.Port, spamd.Command));
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var rspamd = new RspamdOptions();
        var spamd = new SpamAssassinOptions();

        Assert.Equal((new Uri("http://127.0.0.1:11333"), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), 10 * 1024 * 1024, 1024 * 1024, SpamFailureMode.FailOpen),
            (rspamd.Url, rspamd.ConnectTimeout, rspamd.Timeout, rspamd.MaxMessageBytes, rspamd.MaxResponseBytes, rspamd.FailureMode));
        Assert.Equal(("127.0.0.1", 783, SpamdCommand.Report, 15.0, TimeSpan.FromSeconds(30), 500 * 1024, SpamFailureMode.FailOpen),
            (spamd.Host, spamd.Port, spamd.Command, spamd.RejectScore, spamd.Timeout, spamd.MaxMessageBytes, spamd.FailureMode));
    }

    [Theory]
    [InlineData("ftp://scanner.test/", "Mailing:Rspamd:Url must be an absolute http:// or https:// URL")]
    [InlineData("http://user:pw@scanner.test/", "Mailing:Rspamd:Url must not hold a user name or password; set Mailing:Rspamd:Password instead")]
    [InlineData("http://scanner.test/?x=1", "Mailing:Rspamd:Url must be the server's base URL without a query")]
    public void Validation_BadRspamdUrl_NamesTheKey(string url, string expected)
    {
        var error = RspamdError(o => o.Url = new Uri(url));

        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw@", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_BadRspamdLimits_NameEachKey()
    {
        var error = RspamdError(o =>
        {
            o.Timeout = TimeSpan.Zero;
            o.ConnectTimeout = TimeSpan.FromSeconds(-1);
            o.MaxMessageBytes = 100;
            o.MaxResponseBytes = int.MaxValue;
            o.FailureMode = (SpamFailureMode)7;
            o.Password = "a\r\nb";
        });

        Assert.Contains("Mailing:Rspamd:Timeout must be between", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:Rspamd:ConnectTimeout must be between 00:00:00.001 and 00:10:00 (was -00:00:01)", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:Rspamd:MaxMessageBytes must be 1024-268435456 (was 100)", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:Rspamd:MaxResponseBytes must be 1024-67108864", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:Rspamd:FailureMode must be FailOpen or FailClosed (was 7)", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:Rspamd:Password must not contain CR, LF or NUL", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_BadSpamAssassinOptions_NameEachKey()
    {
        using var provider = Build(b => b.AddSpamAssassin(o =>
        {
            o.Host = "bad host name";
            o.Port = 70000;
            o.User = "bob\nUser: root";
            o.Command = (SpamdCommand)9;
            o.RejectScore = double.NaN;
            o.ConnectTimeout = TimeSpan.FromMinutes(11);
        }));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SpamAssassinOptions>>().Value).Message;

        Assert.Contains("Mailing:SpamAssassin:Host must be a host name or an IP address (was 'bad host name')", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:Port must be 1-65535 (was 70000)", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:User must be at most 255 characters without control characters", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:Command must be Check, Symbols or Report (was 9)", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:RejectScore must be a finite number", error, StringComparison.Ordinal);
        Assert.Contains("Mailing:SpamAssassin:ConnectTimeout must be between 00:00:00.001 and 00:10:00 (was 00:11:00)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_SectionOverload_NamesTheBoundSectionsPath()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Scanners:Spamd:Port"] = "0" }).Build();

        using var provider = Build(b => b.AddSpamAssassin(configuration.GetSection("Scanners:Spamd")));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SpamAssassinOptions>>().Value).Message;
        Assert.Contains("Scanners:Spamd:Port must be 1-65535 (was 0)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolvedRspamd_ServerDown_FailsOpenThroughTheRealHttpHandler()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        using var provider = Build(b => b.AddRspamd(o => o.Url = new Uri($"http://127.0.0.1:{port}")));

        var verdict = await provider.GetRequiredService<ISpamClassifier>().ClassifyAsync(SpamTestMessages.Create());

        Assert.Equal((SpamVerdictOrigin.Failure, SpamAction.NoAction, "rspamd"), (verdict.Origin, verdict.Action, verdict.Classifier));
        Assert.Contains($"rspamd at http://127.0.0.1:{port}: the request failed", verdict.Reason, StringComparison.Ordinal);
    }

    private static string RspamdError(Action<RspamdOptions> configure)
    {
        using var provider = Build(b => b.AddRspamd(configure));
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RspamdOptions>>().Value).Message;
    }

    private static ServiceProvider Build(Action<IMailingBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services.AddMailing());
        return services.BuildServiceProvider();
    }
}
