using Mailing.Toolkit;
using Mailing.Toolkit.Integrations;
using Mailing.Toolkit.Integrations.Internal;
using Mailing.Toolkit.Sending.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Mailing.Toolkit to a service collection: <c>services.AddMailing(...).AddSmtpSender()</c>.</summary>
public static class MailingServiceCollectionExtensions
{
    /// <summary>Adds the core mail services; chain features such as <c>AddSmtpSender()</c> on the result.</summary>
    public static IMailingBuilder AddMailing(this IServiceCollection services) =>
        AddMailingCore(services, configuration: null, configure: null);

    /// <summary>Adds the core mail services with options set in code.</summary>
    public static IMailingBuilder AddMailing(this IServiceCollection services, Action<MailingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddMailingCore(services, configuration: null, configure);
    }

    /// <summary>
    /// Adds the core mail services bound to a configuration section (usually <c>Configuration.GetSection("Mailing")</c>);
    /// features bind their subsections of it (<c>Smtp</c>, <c>Maildir</c>, <c>Redirect</c>, <c>Senders:{name}</c>).
    /// </summary>
    public static IMailingBuilder AddMailing(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddMailingCore(services, configuration, configure: null);
    }

    private static MailingBuilder AddMailingCore(IServiceCollection services, IConfiguration? configuration, Action<MailingOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<MailingOptions>();
        if (configuration is not null)
            options.Bind(configuration);
        if (configure is not null)
            options.Configure(configure);
        options.ValidateOnStart();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MailingOptions>, MailingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // The one owner of the meter and the activity source; every feature's instruments are made from it.
        services.TryAddSingleton(sp => new MailingInstrumentation(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<SendingTelemetry>();
        services.TryAddSingleton<OutgoingMailPipeline>();
        // In memory until a database package (UseSqlite, UsePostgreSql) shares it between instances.
        services.TryAddSingleton<ISuppressionList, InMemorySuppressionList>();
        services.TryAddSingleton<Mailing.Toolkit.Receiving.IInboundDeduplicationStore, Mailing.Toolkit.Receiving.Internal.InMemoryInboundDeduplicationStore>();
        return new MailingBuilder(services, configuration);
    }

    /// <summary>The host's logger factory, or a no-op one: logging stays optional and its registration order does not matter.</summary>
    internal static ILoggerFactory LoggerFactory(this IServiceProvider services) =>
        services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
}
