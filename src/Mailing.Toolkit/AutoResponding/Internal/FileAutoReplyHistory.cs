using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>
/// An <see cref="IAutoReplyHistory"/> kept in a JSON file, so that a restart does not answer the same senders again.
/// Every change rewrites the file atomically (a temporary file in the same folder, then a rename), so a crash
/// leaves the old or the new file, never half of one. One process owns the file; several instances of an
/// application need a shared store of their own (a database).
/// </summary>
internal sealed class FileAutoReplyHistory(string path, TimeProvider time, ILogger logger) : IAutoReplyHistory, IDisposable
{
    private const int FormatVersion = 1;

    private readonly string path = Path.GetFullPath(path);
    private readonly SemaphoreSlim gate = new(1, 1);
    private HistoryTable? table;

    public async ValueTask<bool> TryRecordAsync(string responder, string sender, DateTimeOffset now, TimeSpan interval, CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = await LoadAsync(cancellationToken).ConfigureAwait(false);
            if (!entries.TryRecord(responder, sender, now, interval))
                return false;
            try
            {
                await SaveAsync(entries, now, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Not remembered on disk means not sent: a reply the history could not record may not go out.
                entries.Remove(responder, sender, now);
                throw;
            }

            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask RemoveAsync(string responder, string sender, DateTimeOffset recordedAt, CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = await LoadAsync(cancellationToken).ConfigureAwait(false);
            if (entries.Remove(responder, sender, recordedAt))
                await SaveAsync(entries, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private async ValueTask<HistoryTable> LoadAsync(CancellationToken cancellationToken)
    {
        if (table is not null)
            return table;

        var loaded = new HistoryTable();
        if (File.Exists(path))
        {
            try
            {
                var stream = File.OpenRead(path);
                await using (stream.ConfigureAwait(false))
                {
                    using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                    foreach (var item in document.RootElement.GetProperty("entries").EnumerateArray())
                    {
                        loaded.Set(
                            item.GetProperty("responder").GetString() ?? string.Empty,
                            item.GetProperty("sender").GetString() ?? string.Empty,
                            new HistoryEntry(item.GetProperty("at").GetDateTimeOffset(), item.GetProperty("until").GetDateTimeOffset()));
                    }
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // Written atomically, the file is only unreadable when edited by hand; the next write replaces it.
                Log.HistoryUnreadable(logger, path, ex.GetType().Name);
                loaded = new HistoryTable();
            }
        }

        return table = loaded;
    }

    private async Task SaveAsync(HistoryTable entries, DateTimeOffset now, CancellationToken cancellationToken)
    {
        entries.Prune(now);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                await using (writer.ConfigureAwait(false))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("version", FormatVersion);
                    writer.WriteStartArray("entries");
                    foreach (var ((responder, sender), entry) in entries.Entries)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("responder", responder);
                        writer.WriteString("sender", sender);
                        writer.WriteString("at", entry.At);
                        writer.WriteString("until", entry.Until);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
