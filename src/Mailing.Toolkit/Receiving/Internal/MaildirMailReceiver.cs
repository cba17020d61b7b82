using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// Receives from a Maildir: every pass yields the messages in new/ (and the unseen ones in cur/), oldest first.
/// The file system is the position: acknowledging moves or deletes the file, so an acknowledged message is never
/// yielded again, also after a restart, and an unacknowledged one is yielded by the next pass.
/// </summary>
internal sealed class MaildirMailReceiver : IMailReceiver
{
    private readonly string root;
    private readonly string @new;
    private readonly string cur;
    private readonly bool includeUnseenInCur;
    private readonly ILogger logger;

    public MaildirMailReceiver(MaildirReceiverOptions options, ILogger<MaildirMailReceiver> logger)
    {
        root = Path.GetFullPath(options.Path);
        @new = Path.Combine(root, "new");
        cur = Path.Combine(root, "cur");
        includeUnseenInCur = options.IncludeUnseenInCur;
        this.logger = logger;
        Directory.CreateDirectory(@new);
        Directory.CreateDirectory(cur);
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
    }

    public async IAsyncEnumerable<ReceivedMail> ReceiveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Snapshot first, then yield: a message delivered during the pass comes with the next one. Listing a
        // large Maildir is blocking I/O, so it runs off the caller's thread.
        var pending = await Task.Run(Snapshot, cancellationToken).ConfigureAwait(false);

        foreach (var (file, name) in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            file.Refresh();
            if (!file.Exists)
                continue; // acknowledged meanwhile, or taken by another reader

            yield return new MaildirMail(this, file.FullName)
            {
                Id = name.UniqueName,
                Mailbox = root,
                ReceivedAt = new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero),
                Size = name.Size ?? file.Length,
            };
        }
    }

    public Task AcknowledgeAsync(ReceivedMail mail, MailDisposition disposition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mail);
        ArgumentNullException.ThrowIfNull(disposition);
        if (mail is not MaildirMail maildirMail || !ReferenceEquals(maildirMail.Receiver, this))
            throw new ArgumentException("The message was not received by this Maildir receiver.", nameof(mail));
        cancellationToken.ThrowIfCancellationRequested();

        // Another reader may rename the file (new/ to cur/, a flag change) at any time: look it up again when a move finds it gone.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var current = Locate(maildirMail);
            if (current is null)
            {
                ReceiverLog.MaildirMessageGone(logger, mail.Id, root);
                return Task.CompletedTask;
            }

            try
            {
                Apply(current, mail.Id, disposition);
                ReceiverLog.MaildirAcknowledged(logger, mail.Id, disposition.Kind);
                return Task.CompletedTask;
            }
            catch (FileNotFoundException)
            {
            }
            catch (DirectoryNotFoundException)
            {
            }
        }

        ReceiverLog.MaildirMessageGone(logger, mail.Id, root);
        return Task.CompletedTask;
    }

    /// <summary>The directory of the Maildir++ folder <paramref name="folder"/> (<c>Archive/2024</c> is <c>.Archive.2024</c>).</summary>
    internal string FolderPath(string folder)
    {
        var parts = folder.Split('/');
        if (parts.Any(static p => p.Length == 0 || p[0] == '.' || p.Contains('\\', StringComparison.Ordinal) || p.Contains('\0', StringComparison.Ordinal)) ||
            string.Equals(folder, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"'{folder.ReplaceLineEndings(" ")}' is not a Maildir++ folder name this receiver moves into: use names such as 'Archive' or 'Archive/2024' (no leading dot, no empty segment, no backslash, not INBOX).",
                nameof(folder));
        }

        return Path.Combine(root, "." + string.Join('.', parts));
    }

    private void Apply(string current, string id, MailDisposition disposition)
    {
        var name = MaildirName.Parse(Path.GetFileName(current));
        switch (disposition.Kind)
        {
            case MailDispositionKind.MarkSeen:
                File.Move(current, Path.Combine(cur, name.WithFlag('S')), overwrite: true);
                break;
            case MailDispositionKind.Move:
                var folder = FolderPath(disposition.Folder!);
                EnsureFolder(folder);
                File.Move(current, Path.Combine(folder, "cur", name.WithFlag(null)), overwrite: true);
                break;
            case MailDispositionKind.Delete:
                if (!File.Exists(current))
                    throw new FileNotFoundException(null, current);
                File.Delete(current);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(disposition), disposition.Kind, $"Unknown disposition for message {id}.");
        }
    }

    private static void EnsureFolder(string folder)
    {
        Directory.CreateDirectory(Path.Combine(folder, "cur"));
        Directory.CreateDirectory(Path.Combine(folder, "new"));
        Directory.CreateDirectory(Path.Combine(folder, "tmp"));
        // Dovecot and Courier mark a Maildir++ subfolder with this empty file.
        var marker = Path.Combine(folder, "maildirfolder");
        if (!File.Exists(marker))
            File.WriteAllBytes(marker, []);
    }

    private string? Locate(MaildirMail mail)
    {
        if (File.Exists(mail.LastKnownPath))
            return mail.LastKnownPath;
        foreach (var directory in (ReadOnlySpan<string>)[cur, @new])
        {
            foreach (var path in Directory.EnumerateFiles(directory, mail.Id + "*"))
            {
                if (string.Equals(MaildirName.Parse(Path.GetFileName(path)).UniqueName, mail.Id, StringComparison.Ordinal))
                {
                    mail.LastKnownPath = path;
                    return path;
                }
            }
        }

        return null;
    }

    private List<(FileInfo File, MaildirName Name)> Snapshot()
    {
        var pending = new List<(FileInfo File, MaildirName Name)>();
        Collect(pending, @new, inCur: false);
        if (includeUnseenInCur)
            Collect(pending, cur, inCur: true);
        pending.Sort(static (a, b) =>
        {
            var byTime = a.File.LastWriteTimeUtc.CompareTo(b.File.LastWriteTimeUtc);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.Name.UniqueName, b.Name.UniqueName);
        });
        return pending;
    }

    private static void Collect(List<(FileInfo, MaildirName)> into, string directory, bool inCur)
    {
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (file.Name.StartsWith('.'))
                continue;
            var name = MaildirName.Parse(file.Name);
            if (inCur && (name.HasFlag('S') || name.HasFlag('T')))
                continue;
            into.Add((file, name));
        }
    }

    private sealed class MaildirMail(MaildirMailReceiver receiver, string path) : ReceivedMail
    {
        public MaildirMailReceiver Receiver { get; } = receiver;

        public string LastKnownPath { get; set; } = path;

        public override ValueTask<Stream> OpenReadAsync(CancellationToken cancellationToken = default)
        {
            var current = Receiver.Locate(this) ?? throw new FileNotFoundException($"Message {Id} is no longer in the Maildir '{Receiver.root}'; another reader moved or deleted it.");
            return ValueTask.FromResult<Stream>(new FileStream(current, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
    }
}
