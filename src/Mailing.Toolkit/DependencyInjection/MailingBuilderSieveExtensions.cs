using Mailing.Toolkit;
using Mailing.Toolkit.Sieve;
using Mailing.Toolkit.Sieve.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IManageSieveClient"/> and <see cref="IMailboxFilters"/> (server-side Sieve filters over ManageSieve) on the mailing builder.</summary>
public static class MailingBuilderSieveExtensions
{
    private const string ManageSievePath = "Mailing:ManageSieve";

    /// <summary>Adds ManageSieve for the server and login configured in <c>Mailing:ManageSieve</c>.</summary>
    public static IMailingBuilder AddManageSieve(this IMailingBuilder builder) =>
        Add(builder, MailingBuilder.Section(builder, "ManageSieve"), null, ManageSievePath);

    /// <summary>Adds ManageSieve; <paramref name="configure"/> runs after <c>Mailing:ManageSieve</c> is bound.</summary>
    public static IMailingBuilder AddManageSieve(this IMailingBuilder builder, Action<ManageSieveOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Add(builder, MailingBuilder.Section(builder, "ManageSieve"), configure, ManageSievePath);
    }

    /// <summary>Adds ManageSieve with the server and login bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddManageSieve(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Add(builder, section, null, MailingBuilder.PathOf(section, ManageSievePath));
    }

    private static IMailingBuilder Add(IMailingBuilder builder, IConfiguration? section, Action<ManageSieveOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<ManageSieveOptions>();
        if (!services.Any(d => d.ServiceType == typeof(IManageSieveClient) && !d.IsKeyedService))
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<ManageSieveOptions>>(new ManageSieveOptionsValidator(path));
            services.TryAddSingleton<IManageSieveClient>(sp => new ManageSieveConnector(sp.GetRequiredService<IOptions<ManageSieveOptions>>().Value, sp.LoggerFactory()));
            services.TryAddSingleton<IMailboxFilters>(sp => new SieveMailboxFilters(sp.GetRequiredService<IManageSieveClient>(), sp.LoggerFactory().CreateLogger<SieveMailboxFilters>()));
        }

        if (configure is not null)
            options.Configure(configure);
        return builder;
    }
}
