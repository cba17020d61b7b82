using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Positions in one JSON file. Every update rewrites the file atomically: the new content goes to a temp file
/// in the same folder, is flushed to disk, then renamed over the old one, so a crash leaves either the old or
/// the new state, never a partial one. Updates are serialized in-process; a lock file held while the store is
/// open makes a second process that opens the same file fail clearly instead of overwriting its positions.
/// A file that cannot be read is an error, not a silent reset: a reset would hand every message again.
/// </summary>
internal sealed class FileMailboxStateStore : IMailboxStateStore, IDisposable
{
    private const int FormatVersion = 1;

    private readonly string path;
    private readonly ILogger logger;
    private readonly SemaphoreSlim gate = new(1, 1);
    private Dictionary<string, MailboxState>? states;
    private FileStream? lockFile;
    private bool disposed;

    public FileMailboxStateStore(string path, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        this.path = Path.GetFullPath(path);
        this.logger = logger;
    }

    public string FilePath => path;

    public async ValueTask<MailboxState?> GetAsync(string mailboxKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxKey);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (await LoadAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(mailboxKey);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask<MailboxState> UpdateAsync(string mailboxKey, Func<MailboxState?, MailboxState> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mailboxKey);
        ArgumentNullException.ThrowIfNull(update);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await LoadAsync(cancellationToken).ConfigureAwait(false);
            var next = update(current.GetValueOrDefault(mailboxKey)) ?? throw new InvalidOperationException("The state update returned null.");
            var copy = new Dictionary<string, MailboxState>(current, StringComparer.Ordinal) { [mailboxKey] = next };
            await WriteAsync(copy, cancellationToken).ConfigureAwait(false);
            // Only a committed write changes what readers see.
            states = copy;
            return next;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        lockFile?.Dispose();
    }

    private async ValueTask<Dictionary<string, MailboxState>> LoadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (states is not null)
            return states;

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AcquireLock();
        if (!File.Exists(path))
        {
            ReceiverLog.StateFileCreated(logger, path);
            return states = new(StringComparer.Ordinal);
        }

        StateFile? file;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
                file = await JsonSerializer.DeserializeAsync(stream, StateFileJson.Default.StateFile, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw Corrupted(ex.Message, ex);
        }

        if (file is null || file.Mailboxes is null)
            throw Corrupted("no mailboxes object", null);
        if (file.Version != FormatVersion)
            throw Corrupted($"unknown format version {file.Version}", null);
        if (file.Mailboxes.FirstOrDefault(static m => m.Value is null || m.Value.HandledIds is null || m.Value.HandledIds.Contains(null!)) is { Key: { } broken })
            throw Corrupted($"the entry of mailbox '{broken}' is incomplete", null);
        return states = new(file.Mailboxes, StringComparer.Ordinal);
    }

    private InvalidDataException Corrupted(string detail, Exception? inner)
    {
        ReceiverLog.StateFileCorrupted(logger, path, detail);
        return new InvalidDataException(
            $"The mailbox state file '{path}' cannot be read ({detail}). It records which messages were already handled, so it is not reset silently: " +
            "restore it from a backup or fix it; deleting it starts over, and receivers then hand again every message still in the mailbox.", inner);
    }

    private void AcquireLock()
    {
        if (lockFile is not null)
            return;
        var lockPath = path + ".lock";
        try
        {
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"The mailbox state file '{path}' is in use by another process (lock '{lockPath}'). Give each process its own state file, or share positions through a database-backed IMailboxStateStore.", ex);
        }
    }

    private async Task WriteAsync(Dictionary<string, MailboxState> content, CancellationToken cancellationToken)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, new StateFile { Version = FormatVersion, Mailboxes = content }, StateFileJson.Default.StateFile, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // A leftover temp file is never read.
        }
    }
}

internal sealed class StateFile
{
    public int Version { get; set; }

    public Dictionary<string, MailboxState>? Mailboxes { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StateFile))]
internal sealed partial class StateFileJson : JsonSerializerContext;
