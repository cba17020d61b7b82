using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Registers <see cref="ImapOptions"/> once for every IMAP feature (the mailbox manager, the IMAP receiver): the
/// section is bound and the validator added on the first call only, while each caller's configure action applies.
/// </summary>
internal static class ImapOptionsRegistration
{
    public static void Add(IServiceCollection services, IConfiguration? section, Action<ImapOptions>? configure, string path)
    {
        var options = services.AddOptions<ImapOptions>();
        if (!services.Any(d => d.ServiceType == typeof(ImapConnector)))
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<ImapOptions>>(new ImapOptionsValidator(path));
            services.TryAddSingleton(sp => new ImapConnector(
                sp.GetRequiredService<IOptions<ImapOptions>>().Value,
                sp.LoggerFactory()));
        }

        if (configure is not null)
            options.Configure(configure);
    }
}
