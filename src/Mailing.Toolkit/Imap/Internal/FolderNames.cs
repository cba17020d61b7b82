using MailKit;
using MailKit.Net.Imap;

namespace Mailing.Toolkit.Imap.Internal;

/// <summary>
/// Folder names as users write them (levels separated by <c>/</c>) and as the server has them (its own
/// separator per namespace). MailKit encodes the result as modified UTF-7 or UTF-8 and sends it as a quoted
/// string or literal; this class makes sure nothing that could end a command or widen a LIST pattern gets there.
/// </summary>
internal static class FolderNames
{
    public static string Check(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        HeaderSafety.EnsureSingleLine(name, "Folder name", paramName);
        if (name.Split('/').Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"Folder name '{name}' is empty or has an empty level; write levels separated by '/', for example 'Projects/2026'.", paramName);
        if (name.AsSpan().IndexOfAny('*', '%') >= 0)
            throw new ArgumentException($"Folder name '{name}' contains '*' or '%', which IMAP reserves as LIST wildcards.", paramName);
        return name;
    }

    public static bool IsInbox(string path) => string.Equals(path, "INBOX", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="path"/> is <paramref name="ancestor"/> or one of its subfolders.</summary>
    public static bool IsWithin(string path, string ancestor) =>
        string.Equals(path, ancestor, StringComparison.Ordinal)
        || (path.Length > ancestor.Length && path[ancestor.Length] == '/' && path.StartsWith(ancestor, StringComparison.Ordinal));

    /// <summary>The parent path (null at the top level) and the last level.</summary>
    public static (string? Parent, string Leaf) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? (null, path) : (path[..slash], path[(slash + 1)..]);
    }

    /// <summary>The name in the server's hierarchy: the separator of the namespace the name falls in replaces <c>/</c>.</summary>
    public static string ToServer(ImapClient imap, string path)
    {
        var separator = SeparatorFor(imap, path);
        if (separator == '/')
            return path;
        if (path.Contains(separator, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Folder name '{path}' contains '{separator}', the server's hierarchy separator; write levels separated by '/'.", nameof(path));
        }

        return path.Replace('/', separator);
    }

    public static string FromServer(IMailFolder folder) =>
        folder.DirectorySeparator is '/' or '\0' ? folder.FullName : folder.FullName.Replace(folder.DirectorySeparator, '/');

    private static char SeparatorFor(ImapClient imap, string path)
    {
        FolderNamespace? best = null;
        foreach (var ns in imap.PersonalNamespaces.Concat(imap.SharedNamespaces).Concat(imap.OtherNamespaces))
        {
            var prefix = ns.DirectorySeparator == '\0' ? ns.Path : ns.Path.Replace(ns.DirectorySeparator, '/');
            if (path.StartsWith(prefix, StringComparison.Ordinal) && (best is null || prefix.Length > best.Path.Length))
                best = ns;
        }

        var separator = (best ?? imap.PersonalNamespaces.FirstOrDefault())?.DirectorySeparator ?? '/';
        return separator == '\0' ? '/' : separator;
    }
}
