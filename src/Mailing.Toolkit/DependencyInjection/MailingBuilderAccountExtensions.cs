using Mailing.Toolkit;
using Mailing.Toolkit.Mailboxes;
using Mailing.Toolkit.Mailboxes.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IMailAccountProvisioner"/> for Dovecot (SQL passdb/userdb and the doveadm HTTP API) on the mailing builder.</summary>
public static class MailingBuilderAccountExtensions
{
    private const string AccountsPath = "Mailing:Accounts";

    /// <summary>Adds Dovecot account provisioning; <paramref name="configure"/> (which must set the connection factory) runs after <c>Mailing:Accounts</c> is bound.</summary>
    public static IMailingBuilder AddDovecotAccounts(this IMailingBuilder builder, Action<DovecotAccountOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Add(builder, MailingBuilder.Section(builder, "Accounts"), configure, AccountsPath);
    }

    /// <summary>Adds Dovecot account provisioning bound to <paramref name="section"/>; <paramref name="configure"/> sets what only code can (the connection factory).</summary>
    public static IMailingBuilder AddDovecotAccounts(this IMailingBuilder builder, IConfiguration section, Action<DovecotAccountOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(configure);
        return Add(builder, section, configure, MailingBuilder.PathOf(section, AccountsPath));
    }

    private static IMailingBuilder Add(IMailingBuilder builder, IConfiguration? section, Action<DovecotAccountOptions> configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<DovecotAccountOptions>();
        if (!services.Any(d => d.ServiceType == typeof(IMailAccountProvisioner) && !d.IsKeyedService))
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<DovecotAccountOptions>>(new DovecotAccountOptionsValidator(path));
            // DoveadmTimeout bounds each call; the client's own 100 s default would cut longer ones short.
            services.AddHttpClient(DoveadmClient.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<IMailAccountProvisioner>(sp =>
            {
                var value = sp.GetRequiredService<IOptions<DovecotAccountOptions>>().Value;
                var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(DoveadmClient.HttpClientName);
                var doveadm = new DoveadmClient(http, value.DoveadmUrl!, value.DoveadmApiKey!, value.DoveadmTimeout);
                return new DovecotAccountProvisioner(value, doveadm, sp.GetRequiredService<TimeProvider>(), sp.LoggerFactory().CreateLogger<DovecotAccountProvisioner>());
            });
        }

        options.Configure(configure);
        return builder;
    }
}
