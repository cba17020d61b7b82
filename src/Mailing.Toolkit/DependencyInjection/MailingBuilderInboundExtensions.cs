using Mailing.Toolkit;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Pipeline.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the inbound pipeline: a hosted service that receives, parses, routes and handles mail.</summary>
public static class MailingBuilderInboundExtensions
{
    private const string InboundPath = "Mailing:Inbound";

    /// <summary>
    /// Adds the inbound pipeline over the registered <see cref="IMailReceiver"/>, with options from <c>Mailing:Inbound</c>
    /// and the routes declared by <paramref name="routes"/>. Adds <c>AddMailParser()</c> when missing, the
    /// <see cref="IInboundMailProcessor"/>, and a health check named <c>mailing.inbound</c>. Calling it again adds routes.
    /// </summary>
    public static IMailingBuilder AddInboundProcessing(this IMailingBuilder builder, Action<InboundProcessingBuilder> routes) =>
        AddInbound(builder, routes, MailingBuilder.Section(builder, "Inbound"), null, InboundPath);

    /// <summary>Adds the inbound pipeline; <paramref name="configure"/> runs after <c>Mailing:Inbound</c> is bound.</summary>
    public static IMailingBuilder AddInboundProcessing(this IMailingBuilder builder, Action<InboundProcessingBuilder> routes, Action<InboundProcessingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddInbound(builder, routes, MailingBuilder.Section(builder, "Inbound"), configure, InboundPath);
    }

    /// <summary>Adds the inbound pipeline with its options bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddInboundProcessing(this IMailingBuilder builder, Action<InboundProcessingBuilder> routes, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddInbound(builder, routes, section, null, MailingBuilder.PathOf(section, InboundPath));
    }

    private static IMailingBuilder AddInbound(IMailingBuilder builder, Action<InboundProcessingBuilder> routes, IConfiguration? section, Action<InboundProcessingOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(routes);
        var services = builder.Services;
        var table = services.FirstOrDefault(d => d.ServiceType == typeof(InboundRouteTable))?.ImplementationInstance as InboundRouteTable;
        var first = table is null;
        table ??= new InboundRouteTable();
        routes(new InboundProcessingBuilder(services, table));

        var options = services.AddOptions<InboundProcessingOptions>();
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        builder.AddMailParser();
        options.ValidateOnStart();
        services.AddSingleton(table);
        services.AddSingleton<IValidateOptions<InboundProcessingOptions>>(new InboundProcessingOptionsValidator(path));
        services.TryAddSingleton<InboundTelemetry>();
        services.TryAddSingleton(sp => new InboundProcessingService(
            sp,
            sp.GetRequiredService<InboundRouteTable>(),
            sp.GetRequiredService<IOptions<InboundProcessingOptions>>(),
            sp.GetRequiredService<InboundTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.LoggerFactory()));
        services.TryAddSingleton<IInboundMailProcessor>(sp => sp.GetRequiredService<InboundProcessingService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, InboundProcessingService>(sp => sp.GetRequiredService<InboundProcessingService>()));
        InboundHealthCheck.AddTo(services);
        return builder;
    }
}
