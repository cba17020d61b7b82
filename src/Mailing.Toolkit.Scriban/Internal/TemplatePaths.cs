using System.Globalization;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>The kind of output a template file produces: HTML is escaped, text and the subject are not.</summary>
internal enum TemplatePart
{
    Subject,
    Html,
    Text,
}

/// <summary>
/// The file naming convention. A template <c>welcome</c> is the folder <c>welcome/</c> with <c>subject.scriban</c>,
/// <c>html.scriban</c> and <c>text.scriban</c>; a culture variant puts the culture before the extension
/// (<c>html.pl-PL.scriban</c>). Layouts are <c>_layouts/{name}.{html|text}[.culture].scriban</c>; partials
/// <c>_partials/{name}[.{html|text}][.culture].scriban</c>.
/// </summary>
internal static class TemplatePaths
{
    public const string Extension = ".scriban";
    public const string LayoutsFolder = "_layouts";
    public const string PartialsFolder = "_partials";

    public static string PartName(TemplatePart part) => part switch
    {
        TemplatePart.Subject => "subject",
        TemplatePart.Html => "html",
        _ => "text",
    };

    /// <summary>The cultures to look for, most specific first, ending with the invariant (no suffix): pl-PL, pl, "".</summary>
    public static string[] CultureChain(CultureInfo culture)
    {
        var chain = new List<string>(3);
        for (var c = culture; !string.IsNullOrEmpty(c.Name); c = c.Parent)
        {
            if (chain.Contains(c.Name, StringComparer.OrdinalIgnoreCase))
                break;
            chain.Add(c.Name);
        }
        chain.Add(string.Empty);
        return [.. chain];
    }

    /// <summary>The files to try for a base path (<c>welcome/html</c>) in culture order: <c>welcome/html.pl-PL.scriban</c>, ..., <c>welcome/html.scriban</c>.</summary>
    public static IEnumerable<string> Candidates(string basePath, string[] cultureChain)
    {
        foreach (var culture in cultureChain)
            yield return culture.Length == 0 ? basePath + Extension : $"{basePath}.{culture}{Extension}";
    }

    /// <summary>The base paths of a partial, the part-specific one first: <c>_partials/button.html</c>, <c>_partials/button</c>.</summary>
    public static string[] PartialBases(string name, TemplatePart part) =>
        [$"{PartialsFolder}/{name}.{PartName(part)}", $"{PartialsFolder}/{name}"];

    public static string LayoutBase(string name, TemplatePart part) => $"{LayoutsFolder}/{name}.{PartName(part)}";

    public static string TemplateBase(string name, TemplatePart part) => $"{name}/{PartName(part)}";

    /// <summary>
    /// Checks a template, layout or partial name: relative, '/'-separated segments of letters, digits, '-', '_' and '.',
    /// no '..' and no empty segment, so a name can never leave the template source.
    /// </summary>
    public static string? Validate(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name))
            return $"The {what} name is empty.";
        if (name.Length > 200)
            return $"The {what} name '{Shorten(name)}' is longer than 200 characters.";
        if (name[0] == '/' || name[^1] == '/')
            return $"The {what} name '{name}' must be relative to the template source (no leading or trailing '/').";
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
                return $"The {what} name '{name}' may not contain '..', '.' or empty path segments: it must stay inside the template source.";
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                    return $"The {what} name '{Shorten(name)}' may contain only letters, digits, '-', '_', '.' and '/' (found '{Printable(c)}').";
            }
        }
        return null;
    }

    private static string Shorten(string name) => name.Length > 60 ? name[..60] + "..." : name;

    private static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : c.ToString();
}
