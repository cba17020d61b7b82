using System.Reflection;
using System.Text;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>Where template files come from. Paths are relative, '/'-separated and already validated.</summary>
internal interface ITemplateSource : IDisposable
{
    /// <summary>Says where templates are looked for, for error messages: <c>folder '/app/Templates'</c>.</summary>
    string Description { get; }

    /// <summary>The content of a file, or <see langword="null"/> when it does not exist.</summary>
    string? Read(string path);

    /// <summary>Raised with the relative path (or <see langword="null"/> for "anything") when a file may have changed.</summary>
    event Action<string?>? Changed;
}

/// <summary>Templates in a folder, optionally watched for changes.</summary>
internal sealed class FileSystemTemplateSource : ITemplateSource
{
    private readonly string root;
    private readonly int maxSize;
    private readonly FileSystemWatcher? watcher;

    public FileSystemTemplateSource(string root, int maxSize, bool watch)
    {
        this.root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        this.maxSize = maxSize;
        if (watch)
        {
            watcher = new FileSystemWatcher(this.root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += OnChanged;
            watcher.Created += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Renamed += OnRenamed;
            watcher.Error += (_, _) => Changed?.Invoke(null);
            watcher.EnableRaisingEvents = true;
        }
    }

    public event Action<string?>? Changed;

    public string RootPath => root;

    public string Description => $"folder '{root}'";

    public string? Read(string path)
    {
        var full = Path.GetFullPath(Path.Combine(root, path));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            return null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var info = new FileInfo(full);
                if (!info.Exists)
                    return null;
                if (info.Length > (long)maxSize * 4)
                    throw TooLarge(path);
                // ReadWrite/Delete sharing: an editor saving the file at this moment does not make the read fail.
                using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
                var text = reader.ReadToEnd();
                return text.Length > maxSize ? throw TooLarge(path) : text;
            }
            catch (FileNotFoundException)
            {
                return null;
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
            catch (IOException) when (attempt < 3)
            {
                Thread.Sleep(20 * attempt);
            }
        }
    }

    private MailTemplateException TooLarge(string path) =>
        new($"Template file {path} in {Description} is larger than Mailing:Templates:MaxTemplateSize ({maxSize} characters).", MailTemplateError.LimitExceeded, null, path);

    private void OnChanged(object sender, FileSystemEventArgs e) => Changed?.Invoke(Relative(e.FullPath));

    private void OnRenamed(object sender, RenamedEventArgs e)
    {
        Changed?.Invoke(Relative(e.OldFullPath));
        Changed?.Invoke(Relative(e.FullPath));
    }

    private string? Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(root, fullPath);
        return relative.StartsWith("..", StringComparison.Ordinal) ? null : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    public void Dispose() => watcher?.Dispose();
}

/// <summary>Templates embedded as manifest resources of an assembly.</summary>
internal sealed class EmbeddedTemplateSource : ITemplateSource
{
    private readonly Assembly assembly;
    private readonly string prefix;
    private readonly Dictionary<string, string> names;
    private readonly int maxSize;

    public EmbeddedTemplateSource(Assembly assembly, string? prefix, int maxSize)
    {
        this.assembly = assembly;
        this.prefix = string.IsNullOrEmpty(prefix) ? assembly.GetName().Name + ".Templates" : prefix.TrimEnd('.', '/');
        this.maxSize = maxSize;
        names = assembly.GetManifestResourceNames().ToDictionary(n => n, n => n, StringComparer.Ordinal);
    }

    public event Action<string?>? Changed
    {
        add { }
        remove { }
    }

    public string Description => $"embedded resources of {assembly.GetName().Name} under '{prefix}'";

    public string? Read(string path)
    {
        foreach (var candidate in ResourceNames(path))
        {
            if (!names.TryGetValue(candidate, out var name))
                continue;
            using var stream = assembly.GetManifestResourceStream(name);
            if (stream is null)
                continue;
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var text = reader.ReadToEnd();
            return text.Length > maxSize
                ? throw new MailTemplateException($"Template resource {name} is larger than Mailing:Templates:MaxTemplateSize ({maxSize} characters).", MailTemplateError.LimitExceeded, null, path)
                : text;
        }
        return null;
    }

    /// <summary>
    /// The names MSBuild gives an embedded file: folders joined with '.', and characters that are not valid in an
    /// identifier replaced with '_' in folder names (<c>password-reset/html.scriban</c> becomes
    /// <c>Prefix.password_reset.html.scriban</c>); also the unchanged path, for resources with a LogicalName.
    /// </summary>
    private IEnumerable<string> ResourceNames(string path)
    {
        var slash = path.LastIndexOf('/');
        var folders = slash < 0 ? string.Empty : path[..slash];
        var file = path[(slash + 1)..];
        var mangled = folders.Length == 0 ? file : string.Join('.', folders.Split('/').Select(MangleFolder)) + "." + file;
        yield return $"{prefix}.{mangled}";
        yield return $"{prefix}.{path.Replace('/', '.')}";
        yield return $"{prefix}/{path}";
    }

    private static string MangleFolder(string folder)
    {
        var builder = new StringBuilder(folder.Length + 1);
        foreach (var c in folder)
            builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        if (builder.Length > 0 && char.IsDigit(builder[0]))
            builder.Insert(0, '_');
        return builder.ToString();
    }

    public void Dispose()
    {
    }
}

/// <summary>Templates kept in a dictionary, for tests.</summary>
internal sealed class InMemoryTemplateSource(IReadOnlyDictionary<string, string> files) : ITemplateSource
{
    public event Action<string?>? Changed
    {
        add { }
        remove { }
    }

    public string Description => $"in-memory templates ({files.Count} files)";

    public string? Read(string path) => files.TryGetValue(path, out var text) ? text : null;

    public void Dispose()
    {
    }
}
