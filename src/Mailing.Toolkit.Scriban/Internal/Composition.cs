using System.Globalization;
using Scriban;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>One template file, parsed. <see cref="Error"/> is set instead of <see cref="Template"/> when it does not parse.</summary>
internal sealed class TemplateFile
{
    private HtmlTemplateScan? scan;

    public required string Path { get; init; }

    public required string Source { get; init; }

    public Template? Template { get; init; }

    public MailTemplateException? Error { get; init; }

    /// <summary>The code blocks and static tags of the file, computed once.</summary>
    public HtmlTemplateScan Scan => scan ??= HtmlTemplateScan.Scan(Source);
}

/// <summary>A parsed template ready to render, possibly with CSS inlined (then <see cref="Map"/> leads back to the file).</summary>
internal sealed class CompiledTemplate(string path, Template template, SourceMap? map)
{
    public string Path { get; } = path;

    public Template Template { get; } = template;

    public SourceMap? Map { get; } = map;
}

/// <summary>
/// Everything one email template needs for one culture, resolved, parsed and (for HTML) CSS-inlined once:
/// the subject, HTML and text templates, their layouts, and the partials the HTML includes by name.
/// </summary>
internal sealed class Composition
{
    public required string Name { get; init; }

    public required CultureInfo Culture { get; init; }

    public required CompiledTemplate Subject { get; init; }

    public CompiledTemplate? Html { get; init; }

    public CompiledTemplate? HtmlLayout { get; init; }

    public CompiledTemplate? Text { get; init; }

    public CompiledTemplate? TextLayout { get; init; }

    /// <summary>Partials of the HTML part, with the composition's CSS inlined, by include name.</summary>
    public required IReadOnlyDictionary<string, CompiledTemplate> HtmlPartials { get; init; }

    /// <summary>Every path read or looked for (missing ones too): a change to any of them drops this composition.</summary>
    public required IReadOnlySet<string> Dependencies { get; init; }

    /// <summary>The CSS-inlined files of this composition, by path, for error positions.</summary>
    public required IReadOnlyDictionary<string, SourceMap> Maps { get; init; }
}
