using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>Checks the template options at start, with messages that name the key to fix (<c>Mailing:Templates:Root</c>).</summary>
internal sealed class ScribanTemplateOptionsValidator(string path) : IValidateOptions<ScribanTemplateOptions>
{
    public ValidateOptionsResult Validate(string? name, ScribanTemplateOptions options)
    {
        var errors = new List<string>();
        var sources = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Root))
            sources.Add("Root");
        if (options.ResourceAssembly is not null)
            sources.Add("ResourceAssembly");
        if (options.InMemoryTemplates.Count > 0)
            sources.Add("InMemoryTemplates");

        if (sources.Count == 0)
            errors.Add($"{path}:Root is required: the folder the email templates are read from (or set ResourceAssembly or InMemoryTemplates in code).");
        else if (sources.Count > 1)
            errors.Add($"{path}: set one template source, not {string.Join(" and ", sources)}.");

        if (!string.IsNullOrWhiteSpace(options.Root))
        {
            if (options.Root.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
                errors.Add($"{path}:Root '{options.Root}' contains characters that are not valid in a path.");
            else if (TemplateRoot.Resolve(options.Root) is null)
                errors.Add($"{path}:Root '{options.Root}' does not exist (looked in {string.Join(" and ", TemplateRoot.Candidates(options.Root).Select(c => $"'{c}'"))}).");
        }
        if (options.WatchForChanges && string.IsNullOrWhiteSpace(options.Root))
            errors.Add($"{path}:WatchForChanges works with templates in a folder only: set {path}:Root.");
        if (!string.IsNullOrWhiteSpace(options.ResourcePrefix) && options.ResourceAssembly is null)
            errors.Add($"{path}:ResourcePrefix is set but ResourceAssembly is not: set the assembly that embeds the templates in code.");
        foreach (var key in options.InMemoryTemplates.Keys)
        {
            var file = key.EndsWith(TemplatePaths.Extension, StringComparison.Ordinal) ? key[..^TemplatePaths.Extension.Length] : null;
            if (file is null || TemplatePaths.Validate(file, "template file") is not null)
                errors.Add($"{path}:InMemoryTemplates: '{key}' is not a template path such as 'welcome/html.scriban'.");
        }
        if (!string.IsNullOrEmpty(options.DefaultLayout) && TemplatePaths.Validate(options.DefaultLayout, "layout") is { } layoutProblem)
            errors.Add($"{path}:DefaultLayout: {layoutProblem}");

        if (options.LoopLimit is < 1 or > 100_000_000)
            errors.Add($"{path}:LoopLimit must be 1-100000000 (was {options.LoopLimit}).");
        if (options.RecursiveLimit is < 1 or > 1000)
            errors.Add($"{path}:RecursiveLimit must be 1-1000 (was {options.RecursiveLimit}).");
        if (options.OutputLimit is < 1024 or > 100_000_000)
            errors.Add($"{path}:OutputLimit must be 1024-100000000 characters (was {options.OutputLimit}).");
        if (options.MaxTemplateSize is < 1 or > 100_000_000)
            errors.Add($"{path}:MaxTemplateSize must be 1-100000000 characters (was {options.MaxTemplateSize}).");
        if (options.RenderTimeout <= TimeSpan.Zero || options.RenderTimeout > TimeSpan.FromHours(1))
            errors.Add($"{path}:RenderTimeout must be a duration between 00:00:00.001 and 01:00:00, written hh:mm:ss (was {options.RenderTimeout:c}).");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Where a relative template folder is: the current directory first, then beside the application.</summary>
internal static class TemplateRoot
{
    public static IEnumerable<string> Candidates(string root) =>
        Path.IsPathRooted(root)
            ? [Path.GetFullPath(root)]
            : new[] { Path.GetFullPath(root), Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, root)) }.Distinct(StringComparer.Ordinal);

    public static string? Resolve(string root) => Candidates(root).FirstOrDefault(Directory.Exists);
}
