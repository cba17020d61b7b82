using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Hands out one <see cref="FileMailboxStateStore"/> per full path, so receivers configured with the same state
/// file share its lock and never overwrite each other's updates. A singleton in the container.
/// </summary>
internal sealed class MailboxStateFiles(ILoggerFactory loggerFactory) : IDisposable
{
    private readonly ConcurrentDictionary<string, FileMailboxStateStore> stores = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    public FileMailboxStateStore Get(string path) =>
        stores.GetOrAdd(Path.GetFullPath(path), static (full, factory) => new FileMailboxStateStore(full, factory.CreateLogger<FileMailboxStateStore>()), loggerFactory);

    public void Dispose()
    {
        foreach (var store in stores.Values)
            store.Dispose();
    }
}
