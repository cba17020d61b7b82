using System.Reflection;
using Mailing.Toolkit.Text;

namespace Mailing.Toolkit.Scriban;

/// <summary>
/// Settings of the Scriban template renderer, bound from <c>Mailing:Templates</c>. Set exactly one source:
/// <see cref="Root"/> (a folder), <see cref="ResourceAssembly"/> (embedded resources) or <see cref="InMemoryTemplates"/>.
/// </summary>
/// <remarks>
/// A template <c>welcome</c> lives in a folder of its own: <c>welcome/subject.scriban</c>, <c>welcome/html.scriban</c>
/// and optionally <c>welcome/text.scriban</c>; culture variants add the culture before the extension
/// (<c>welcome/html.pl-PL.scriban</c>, <c>welcome/html.pl.scriban</c>). Layouts are <c>_layouts/{name}.html.scriban</c>
/// and <c>_layouts/{name}.text.scriban</c>; partials are <c>_partials/{name}.scriban</c>. See docs/templates.md.
/// </remarks>
public sealed class ScribanTemplateOptions
{
    /// <summary>The configuration section these options bind from by convention.</summary>
    public const string SectionPath = "Mailing:Templates";

    /// <summary>
    /// The folder the templates are read from (<c>Mailing:Templates:Root</c>). A relative path is looked up in the
    /// current directory (the content root of an ASP.NET Core app), then beside the application (<see cref="AppContext.BaseDirectory"/>).
    /// </summary>
    public string? Root { get; set; }

    /// <summary>The assembly whose embedded resources hold the templates (set in code).</summary>
    public Assembly? ResourceAssembly { get; set; }

    /// <summary>
    /// The manifest resource name prefix of the embedded templates (<c>Mailing:Templates:ResourcePrefix</c>); defaults to
    /// <c>{assembly name}.Templates</c>, the name MSBuild gives to <c>&lt;EmbeddedResource Include="Templates\**\*.scriban" /&gt;</c>.
    /// </summary>
    public string? ResourcePrefix { get; set; }

    /// <summary>Templates held in memory, keyed by path (<c>welcome/html.scriban</c>), for tests and generated templates.</summary>
    public IDictionary<string, string> InMemoryTemplates { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Whether a template file changed on disk is picked up without a restart (<c>Mailing:Templates:WatchForChanges</c>).
    /// Works with <see cref="Root"/> only; off by default.
    /// </summary>
    public bool WatchForChanges { get; set; }

    /// <summary>
    /// The layout an email gets unless its template assigns another one with <c>{{ layout = "name" }}</c> or none with
    /// <c>{{ layout = null }}</c> (<c>Mailing:Templates:DefaultLayout</c>). Defaults to <c>default</c>; a missing default layout means no layout.
    /// </summary>
    public string? DefaultLayout { get; set; } = "default";

    /// <summary>
    /// Whether the CSS of <c>&lt;style&gt;</c> elements is moved into <c>style</c> attributes for clients that ignore style
    /// sheets (<c>Mailing:Templates:InlineCss</c>). Done once per template when it is loaded, not per email. On by default.
    /// </summary>
    public bool InlineCss { get; set; } = true;

    /// <summary>
    /// Whether an email whose template has no text part gets a text body generated from its HTML
    /// (<c>Mailing:Templates:GenerateTextBody</c>). On by default.
    /// </summary>
    public bool GenerateTextBody { get; set; } = true;

    /// <summary>How the generated text body is written; <see langword="null"/> uses <see cref="HtmlToTextOptions.Default"/>.</summary>
    public HtmlToTextOptions? TextOptions { get; set; }

    /// <summary>
    /// Whether a template that reads a variable or member that does not exist fails with an error naming it
    /// (<c>Mailing:Templates:StrictVariables</c>). On by default; test optional values with <c>{{ if defined "name" }}</c>.
    /// </summary>
    public bool StrictVariables { get; set; } = true;

    /// <summary>The most loop iterations one render may run, nested loops counted together (<c>Mailing:Templates:LoopLimit</c>). Defaults to 10,000.</summary>
    public int LoopLimit { get; set; } = 10_000;

    /// <summary>The deepest a render may nest function calls and includes (<c>Mailing:Templates:RecursiveLimit</c>). Defaults to 64.</summary>
    public int RecursiveLimit { get; set; } = 64;

    /// <summary>
    /// The longest output of one template, and the longest string a render may build, in characters
    /// (<c>Mailing:Templates:OutputLimit</c>). Defaults to 1,048,576.
    /// </summary>
    public int OutputLimit { get; set; } = 1024 * 1024;

    /// <summary>The longest one render may take before it is stopped (<c>Mailing:Templates:RenderTimeout</c>). Defaults to 5 seconds.</summary>
    public TimeSpan RenderTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest template file read, in characters (<c>Mailing:Templates:MaxTemplateSize</c>). Defaults to 1,048,576.</summary>
    public int MaxTemplateSize { get; set; } = 1024 * 1024;
}
