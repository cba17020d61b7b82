using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Registers <see cref="ImapOptions"/> and the <see cref="ImapConnector"/> on them. The unnamed account is registered
/// once for every IMAP feature (the mailbox manager, the unnamed IMAP receiver): the section is bound and the validator
/// added on the first call only, while each caller's configure action applies. A keyed IMAP receiver has its own
/// account: options named after its key and a connector registered under it.
/// </summary>
internal static class ImapOptionsRegistration
{
    public static void Add(IServiceCollection services, IConfiguration? section, Action<ImapOptions>? configure, string path)
    {
        var options = services.AddOptions<ImapOptions>();
        if (!services.Any(d => d.ServiceType == typeof(ImapConnector) && !d.IsKeyedService))
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<ImapOptions>>(new NamedOptionsValidator<ImapOptions>(Options.DefaultName, new ImapOptionsValidator(path)));
            services.TryAddSingleton(sp => new ImapConnector(
                sp.GetRequiredService<IOptions<ImapOptions>>().Value,
                sp.LoggerFactory()));
        }

        if (configure is not null)
            options.Configure(configure);
    }

    /// <summary>The account of the IMAP receiver keyed <paramref name="key"/>; <paramref name="first"/> binds, validates and registers its connector.</summary>
    public static void AddKeyed(IServiceCollection services, string key, bool first, IConfiguration? section, Action<ImapOptions>? configure, string path)
    {
        var options = services.AddOptions<ImapOptions>(key);
        if (first)
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<ImapOptions>>(new NamedOptionsValidator<ImapOptions>(key, new ImapOptionsValidator(path)));
            services.TryAddKeyedSingleton(key, (sp, k) => new ImapConnector(
                sp.GetRequiredService<IOptionsMonitor<ImapOptions>>().Get((string)k!),
                sp.LoggerFactory()));
        }

        if (configure is not null)
            options.Configure(configure);
    }

    /// <summary>The account of the unnamed (<paramref name="key"/> null) or keyed IMAP receiver.</summary>
    public static ImapOptions AccountOf(IServiceProvider services, string? key) =>
        services.GetRequiredService<IOptionsMonitor<ImapOptions>>().Get(key ?? Options.DefaultName);

    /// <summary>The connector of the unnamed (<paramref name="key"/> null) or keyed IMAP account.</summary>
    public static ImapConnector Connector(IServiceProvider services, string? key) =>
        key is null ? services.GetRequiredService<ImapConnector>() : services.GetRequiredKeyedService<ImapConnector>(key);
}
