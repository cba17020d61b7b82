using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Hands out one <see cref="FileMailboxStateStore"/> per full path, so receivers configured with the same state
/// file share its lock and never overwrite each other's updates. A singleton in the container.
/// </summary>
internal sealed class MailboxStateFiles(ILoggerFactory loggerFactory) : IDisposable
{
    private readonly ConcurrentDictionary<string, FileMailboxStateStore> stores = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>Registers the singleton; every receiver registration that may use a state file calls it.</summary>
    public static void AddTo(IServiceCollection services) =>
        services.TryAddSingleton(sp => new MailboxStateFiles(sp.LoggerFactory()));

    /// <summary>
    /// The store a receiver uses: the file store on <paramref name="stateFilePath"/> when it names one, else the
    /// <see cref="IMailboxStateStore"/> registered in the container, else a private in-memory one (not durable).
    /// </summary>
    public static (IMailboxStateStore Store, bool Durable) Resolve(IServiceProvider services, string? stateFilePath)
    {
        if (!string.IsNullOrWhiteSpace(stateFilePath))
            return (services.GetRequiredService<MailboxStateFiles>().Get(stateFilePath), true);
        return services.GetService<IMailboxStateStore>() is { } registered ? (registered, true) : (new InMemoryMailboxStateStore(), false);
    }

    public FileMailboxStateStore Get(string path) =>
        stores.GetOrAdd(Path.GetFullPath(path), static (full, factory) => new FileMailboxStateStore(full, factory.CreateLogger<FileMailboxStateStore>()), loggerFactory);

    public void Dispose()
    {
        foreach (var store in stores.Values)
            store.Dispose();
    }
}
