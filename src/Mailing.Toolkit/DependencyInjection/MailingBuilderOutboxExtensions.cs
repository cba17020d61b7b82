using Mailing.Toolkit;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.Outbox.Internal;
using Mailing.Toolkit.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="IMailOutbox"/> and its dispatcher.</summary>
public static class MailingBuilderOutboxExtensions
{
    private const string OutboxPath = "Mailing:Outbox";

    /// <summary>
    /// Adds the <see cref="IMailOutbox"/>, configured from <c>Mailing:Outbox</c>, the dispatcher that sends it (unless
    /// <see cref="OutboxOptions.Background"/> is false) and the <c>mailing.outbox</c> health check. The outbox lives in
    /// memory unless a database package backs it (<c>UseSqlite</c>, <c>UsePostgreSql</c>), in either order.
    /// </summary>
    public static IMailingBuilder AddOutbox(this IMailingBuilder builder) =>
        AddOutboxCore(builder, MailingBuilder.Section(builder, "Outbox"), null, OutboxPath);

    /// <summary>Adds the outbox; <paramref name="configure"/> runs after <c>Mailing:Outbox</c> is bound.</summary>
    public static IMailingBuilder AddOutbox(this IMailingBuilder builder, Action<OutboxOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddOutboxCore(builder, MailingBuilder.Section(builder, "Outbox"), configure, OutboxPath);
    }

    /// <summary>Adds the outbox, bound to <paramref name="section"/>.</summary>
    public static IMailingBuilder AddOutbox(this IMailingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddOutboxCore(builder, section, null, MailingBuilder.PathOf(section, OutboxPath));
    }

    private static IMailingBuilder AddOutboxCore(IMailingBuilder builder, IConfiguration? section, Action<OutboxOptions>? configure, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<OutboxOptions>();
        if (configure is not null)
            options.Configure(configure);
        if (services.Any(d => d.ServiceType == typeof(OutboxDispatcherRegistration)))
            return builder;
        services.AddSingleton<OutboxDispatcherRegistration>();
        if (section is not null)
            options.Bind(section);
        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<OutboxOptions>>(new OutboxOptionsValidator(path));

        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton(sp => new OutboxTelemetry(sp.GetRequiredService<MailingInstrumentation>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IMailOutboxStore>(sp => new InMemoryMailOutbox(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<MailingOptions>>().Value.DefaultFrom,
            sp.GetRequiredService<IOptions<OutboxOptions>>().Value.MaxMessageBytes));
        services.TryAddSingleton<IMailOutbox>(sp => new SignallingMailOutbox(sp.GetRequiredService<IMailOutboxStore>(), sp.GetRequiredService<OutboxSignal>()));
        services.AddSingleton<IHostedService>(sp =>
        {
            var value = sp.GetRequiredService<IOptions<OutboxOptions>>().Value;
            return value.Background
                ? new OutboxDispatcher(
                    sp.GetRequiredService<IMailOutboxStore>(),
                    sp.GetRequiredService<OutboxSignal>(),
                    sp,
                    value,
                    sp.GetRequiredService<OutboxTelemetry>(),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.LoggerFactory().CreateLogger<OutboxDispatcher>())
                : new IdleHostedService();
        });
        services.AddHealthChecks().Add(new HealthCheckRegistration(OutboxHealthCheck.Name, sp => new OutboxHealthCheck(
            sp.GetRequiredService<IMailOutboxStore>(),
            sp.GetRequiredService<IOptions<OutboxOptions>>().Value,
            sp.GetRequiredService<OutboxTelemetry>(),
            sp.GetRequiredService<TimeProvider>()), failureStatus: null, tags: ["mailing", "outbox"]));
        return builder;
    }

    /// <summary>Marks the outbox as registered, so a second <c>AddOutbox</c> only adds its configuration.</summary>
    private sealed class OutboxDispatcherRegistration;

    /// <summary>Stands in for the dispatcher in a process that only enqueues.</summary>
    private sealed class IdleHostedService : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
