using MailKit;
using MailKit.Net.Imap;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>Finding and creating folders by their user-facing path (<see cref="FolderNames"/>), for every IMAP feature.</summary>
internal static class ImapFolders
{
    /// <summary>The folder at <paramref name="path"/>; <see cref="FolderNotFoundException"/> when it does not exist.</summary>
    public static async Task<ImapFolder> GetAsync(ImapClient imap, string path, CancellationToken cancellationToken)
    {
        if (FolderNames.IsInbox(path))
            return (ImapFolder)imap.Inbox;
        return (ImapFolder)await imap.GetFolderAsync(FolderNames.ToServer(imap, path), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The folder at <paramref name="path"/>, or null when it does not exist.</summary>
    public static async Task<ImapFolder?> TryGetAsync(ImapClient imap, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(imap, path, cancellationToken).ConfigureAwait(false);
        }
        catch (FolderNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The folder at <paramref name="path"/>, creating it and each missing parent level by level.</summary>
    public static async Task<(ImapFolder Folder, bool Created)> EnsureAsync(ImapClient imap, string path, CancellationToken cancellationToken)
    {
        var levels = path.Split('/');
        ImapFolder? parent = null;
        var created = false;
        for (var i = 1; i <= levels.Length; i++)
        {
            var levelPath = string.Join('/', levels, 0, i);
            var folder = await TryGetAsync(imap, levelPath, cancellationToken).ConfigureAwait(false);
            if (folder is null)
            {
                try
                {
                    folder = (ImapFolder)(await (parent ?? RootOf(imap)).CreateAsync(levels[i - 1], isMessageFolder: true, cancellationToken).ConfigureAwait(false))!;
                    created = true;
                }
                catch (ImapCommandException)
                {
                    // Another client may have created it meanwhile; otherwise the refusal stands.
                    folder = await TryGetAsync(imap, levelPath, cancellationToken).ConfigureAwait(false);
                    if (folder is null)
                        throw;
                }
            }

            parent = folder;
        }

        return (parent!, created);
    }

    /// <summary>The root of the personal namespace, where top-level folders are created.</summary>
    public static ImapFolder RootOf(ImapClient imap) => (ImapFolder)imap.GetFolder(imap.PersonalNamespaces[0]);

    /// <summary>
    /// The summaries of the messages asked for. The server also reports flag changes other sessions made meanwhile
    /// (another instance claiming, a person reading), as FETCH responses without a UID.
    /// </summary>
    public static List<IMessageSummary> Requested(IList<IMessageSummary> summaries, IEnumerable<UniqueId> requested)
    {
        var wanted = requested.Select(uid => uid.Id).ToHashSet();
        return summaries.Where(s => s.UniqueId.IsValid && wanted.Contains(s.UniqueId.Id)).ToList();
    }
}
