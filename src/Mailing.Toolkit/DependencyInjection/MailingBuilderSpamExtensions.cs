using System.Text;
using Mailing.Toolkit;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the spam classifiers. Each is a keyed <see cref="ISpamClassifier"/> under its name
/// (<see cref="RspamdKey"/>, <see cref="SpamAssassinKey"/>); the first one added is also the unkeyed
/// <see cref="ISpamClassifier"/>, so with both added, inject the other with <c>[FromKeyedServices("spamassassin")]</c>.
/// </summary>
public static class MailingBuilderSpamExtensions
{
    /// <summary>The service key of the rspamd classifier.</summary>
    public const string RspamdKey = "rspamd";

    /// <summary>The service key of the SpamAssassin (spamd) classifier.</summary>
    public const string SpamAssassinKey = "spamassassin";

    private const string RspamdPath = "Mailing:Rspamd";
    private const string SpamAssassinPath = "Mailing:SpamAssassin";

    /// <summary>Adds the rspamd classifier, configured from <c>Mailing:Rspamd</c>.</summary>
    public static IMailingBuilder AddRspamd(this IMailingBuilder builder) =>
        AddRspamdCore(builder, MailingBuilder.Section(builder, "Rspamd"), null, RspamdPath);

    /// <summary>Adds the rspamd classifier; <paramref name="configure"/> runs after <c>Mailing:Rspamd</c> is bound.</summary>
    public static IMailingBuilder AddRspamd(this IMailingBuilder builder, Action<RspamdOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddRspamdCore(builder, MailingBuilder.Section(builder, "Rspamd"), configure, RspamdPath);
    }

    /// <summary>Adds the rspamd classifier, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddRspamd(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddRspamdCore(builder, section, null, MailingBuilder.PathOf(section, RspamdPath));
    }

    /// <summary>Adds the SpamAssassin (spamd) classifier, configured from <c>Mailing:SpamAssassin</c>.</summary>
    public static IMailingBuilder AddSpamAssassin(this IMailingBuilder builder) =>
        AddSpamAssassinCore(builder, MailingBuilder.Section(builder, "SpamAssassin"), null, SpamAssassinPath);

    /// <summary>Adds the SpamAssassin (spamd) classifier; <paramref name="configure"/> runs after <c>Mailing:SpamAssassin</c> is bound.</summary>
    public static IMailingBuilder AddSpamAssassin(this IMailingBuilder builder, Action<SpamAssassinOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddSpamAssassinCore(builder, MailingBuilder.Section(builder, "SpamAssassin"), configure, SpamAssassinPath);
    }

    /// <summary>Adds the SpamAssassin (spamd) classifier, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddSpamAssassin(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddSpamAssassinCore(builder, section, null, MailingBuilder.PathOf(section, SpamAssassinPath));
    }

    private static IMailingBuilder AddRspamdCore(IMailingBuilder builder, IConfiguration? section, Action<RspamdOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<RspamdOptions>();
        if (!IsRegistered(services, RspamdKey))
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<RspamdOptions>>(new RspamdOptionsValidator(path));
            // Timeout bounds the whole check; HttpClient's own 100 s default must not cut in first.
            services.AddHttpClient(RspamdClassifier.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
                .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
                {
                    ConnectTimeout = sp.GetRequiredService<IOptions<RspamdOptions>>().Value.ConnectTimeout,
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    // SMTPUTF8 senders and recipients reach rspamd as UTF-8, which it reads.
                    RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
                });
            services.TryAddSingleton(TimeProvider.System);
            services.AddKeyedSingleton<ISpamClassifier>(RspamdKey, (sp, _) => new RspamdClassifier(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(RspamdClassifier.HttpClientName),
                sp.GetRequiredService<IOptions<RspamdOptions>>().Value,
                path,
                sp.LoggerFactory().CreateLogger<RspamdClassifier>()));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<ISpamClassifier>(RspamdKey));
        }

        if (configure is not null)
            options.Configure(configure);
        return builder;
    }

    private static IMailingBuilder AddSpamAssassinCore(IMailingBuilder builder, IConfiguration? section, Action<SpamAssassinOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<SpamAssassinOptions>();
        if (!IsRegistered(services, SpamAssassinKey))
        {
            if (section is not null)
                options.Bind(section);
            options.ValidateOnStart();
            services.AddSingleton<IValidateOptions<SpamAssassinOptions>>(new SpamAssassinOptionsValidator(path));
            services.TryAddSingleton(TimeProvider.System);
            services.AddKeyedSingleton<ISpamClassifier>(SpamAssassinKey, (sp, _) => new SpamAssassinClassifier(
                sp.GetRequiredService<IOptions<SpamAssassinOptions>>().Value,
                path,
                sp.GetRequiredService<TimeProvider>(),
                sp.LoggerFactory().CreateLogger<SpamAssassinClassifier>()));
            services.TryAddSingleton(sp => sp.GetRequiredKeyedService<ISpamClassifier>(SpamAssassinKey));
        }

        if (configure is not null)
            options.Configure(configure);
        return builder;
    }

    private static bool IsRegistered(IServiceCollection services, string key) =>
        services.Any(d => d.ServiceType == typeof(ISpamClassifier) && d.IsKeyedService && Equals(d.ServiceKey, key));
}
