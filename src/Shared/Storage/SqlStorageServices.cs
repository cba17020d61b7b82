using Mailing.Toolkit.AutoResponding;
using Mailing.Toolkit.Integrations;
using Mailing.Toolkit.Outbox;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// Registers the SQL stores of one engine: the dialect, the schema with its start-up migration, and every store
/// chosen in <see cref="MailingStores"/>, replacing whatever was registered for it before (so the call order with
/// <c>AddOutbox</c>, <c>AddAutoResponder</c> and the receivers does not matter).
/// </summary>
internal static class SqlStorageServices
{
    public static void Add(IServiceCollection services, MailingStores stores, bool applyMigrations, Func<IServiceProvider, SqlDialect> dialect)
    {
        services.AddOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<SqlDialect>();
        services.RemoveAll<SqlSchema>();
        services.AddSingleton(dialect);
        services.AddSingleton(sp => new SqlSchema(
            sp.GetRequiredService<SqlDialect>(),
            typeof(SqlStorageServices).Assembly,
            applyMigrations,
            Logger(sp)));
        if (!services.Any(d => d.ServiceType == typeof(StartupMarker)))
        {
            services.AddSingleton<StartupMarker>();
            services.AddSingleton<IHostedService>(sp => new SqlSchemaStartup(sp.GetRequiredService<SqlSchema>(), sp.GetRequiredService<SqlDialect>(), Logger(sp)));
        }

        if (stores.HasFlag(MailingStores.Outbox))
        {
            Replace<IMailOutboxStore>(services, sp => new SqlOutboxStore(
                sp.GetRequiredService<SqlDialect>(),
                sp.GetRequiredService<SqlSchema>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<MailingOptions>>().Value.DefaultFrom,
                sp.GetRequiredService<IOptions<OutboxOptions>>().Value.MaxMessageBytes));
        }

        if (stores.HasFlag(MailingStores.AutoReplyHistory))
            Replace<IAutoReplyHistory>(services, sp => new SqlAutoReplyHistory(sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<SqlSchema>()));
        if (stores.HasFlag(MailingStores.MailboxState))
            Replace<IMailboxStateStore>(services, sp => new SqlMailboxStateStore(sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<SqlSchema>(), sp.GetRequiredService<TimeProvider>()));
        if (stores.HasFlag(MailingStores.InboundDeduplication))
            Replace<IInboundDeduplicationStore>(services, sp => new SqlInboundDeduplicationStore(sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<SqlSchema>()));
        if (stores.HasFlag(MailingStores.SuppressionList))
            Replace<ISuppressionList>(services, sp => new SqlSuppressionList(sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<SqlSchema>()));
    }

    private static void Replace<TService>(IServiceCollection services, Func<IServiceProvider, TService> factory)
        where TService : class
    {
        services.RemoveAll<TService>();
        services.AddSingleton(factory);
    }

    private static ILogger Logger(IServiceProvider services) =>
        (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Mailing.Toolkit.Storage");

    /// <summary>Marks the start-up migration as registered, so a second call does not add it twice.</summary>
    private sealed class StartupMarker;
}
