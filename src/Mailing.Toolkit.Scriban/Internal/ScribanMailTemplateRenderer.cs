using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Mailing.Toolkit.Templating;
using Mailing.Toolkit.Text;
using Microsoft.Extensions.Logging;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>
/// Renders emails from Scriban templates. Each (template, culture) is resolved, parsed and CSS-inlined once into a
/// <see cref="Composition"/> that every later render reuses, from any thread; a render only evaluates the parsed
/// templates in a fresh <see cref="MailTemplateContext"/> with the configured limits.
/// </summary>
internal sealed partial class ScribanMailTemplateRenderer : IMailTemplateRenderer, IDisposable
{
    /// <summary>Nesting limit of the parser: deeper templates (10,000 nested brackets) fail to parse instead of exhausting the stack.</summary>
    internal const int MaxNestingDepth = 100;

    private readonly ScribanTemplateOptions options;
    private readonly ITemplateSource source;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly ScriptObject builtins = TemplateHelpers.CreateBuiltins();
    private readonly ModelImporter importer = new();
    private readonly ParserOptions parserOptions = new() { ExpressionDepthLimit = MaxNestingDepth };
    private readonly ConcurrentDictionary<string, TemplateFile?> files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Name, string Culture), Lazy<Composition>> compositions = new();
    private readonly ConcurrentDictionary<(string Name, TemplatePart Part, string Culture), PartialEntry> partials = new();
    private readonly ConcurrentDictionary<(string Culture, string Currency), NumberFormatInfo> currencyFormats = new();
    private int version;
    private int compositionsBuilt;

    public ScribanMailTemplateRenderer(ScribanTemplateOptions options, ITemplateSource source, TimeProvider timeProvider, ILogger logger)
    {
        this.options = options;
        this.source = source;
        this.timeProvider = timeProvider;
        this.logger = logger;
        source.Changed += OnSourceChanged;
    }

    /// <summary>How many compositions were built (parsed and inlined) so far: a test sees the cache at work.</summary>
    internal int CompositionsBuilt => Volatile.Read(ref compositionsBuilt);

    internal string SourceDescription => source.Description;

    /// <summary>The number format <c>format_currency</c> uses for a culture and currency, built once.</summary>
    internal NumberFormatInfo CurrencyFormat(CultureInfo culture, string currency) =>
        currencyFormats.TryGetValue((culture.Name, currency), out var format)
            ? format
            : currencyFormats.GetOrAdd((culture.Name, currency), static (_, arg) => TemplateHelpers.CreateCurrencyFormat(arg.culture, arg.currency), (culture, currency));

    public ValueTask<RenderedMail> RenderAsync(string name, object? model, CultureInfo? culture = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var problem = TemplatePaths.Validate(name, "template")
            ?? (name.StartsWith('_') ? $"The template name '{name}' starts with '_', which is reserved for _layouts and _partials." : null);
        if (problem is not null)
            throw new ArgumentException(problem, nameof(name));
        cancellationToken.ThrowIfCancellationRequested();
        culture ??= CultureInfo.CurrentUICulture;
        var composition = GetComposition(name, culture);
        return ValueTask.FromResult(Render(composition, model, culture, cancellationToken));
    }

    internal Composition GetComposition(string name, CultureInfo culture)
    {
        var key = (name, culture.Name);
        if (compositions.TryGetValue(key, out var cached) && cached.IsValueCreated)
            return cached.Value;

        // One build per key even when many first renders arrive together; a failed build is not kept.
        var before = Volatile.Read(ref version);
        var created = new Lazy<Composition>(() =>
        {
            Interlocked.Increment(ref compositionsBuilt);
            return Build(name, culture);
        });
        var lazy = compositions.GetOrAdd(key, created);
        try
        {
            var composition = lazy.Value;
            // A file changed while this was built: use it for this render but do not keep it.
            if (ReferenceEquals(lazy, created) && Volatile.Read(ref version) != before)
                compositions.TryRemove(new KeyValuePair<(string, string), Lazy<Composition>>(key, lazy));
            return composition;
        }
        catch
        {
            compositions.TryRemove(new KeyValuePair<(string, string), Lazy<Composition>>(key, lazy));
            throw;
        }
    }

    private RenderedMail Render(Composition composition, object? model, CultureInfo culture, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.RenderTimeout, timeProvider);
        using var link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout)
            : default;
        var context = new MailTemplateContext(builtins, this, composition)
        {
            StrictVariables = options.StrictVariables,
            EnableRelaxedMemberAccess = !options.StrictVariables,
            LoopLimit = options.LoopLimit,
            LoopLimitQueryable = options.LoopLimit,
            RecursiveLimit = options.RecursiveLimit,
            LimitToString = options.OutputLimit,
            OutputLimit = options.OutputLimit,
            OnOutputLimit = ScriptLimitBehavior.Throw,
            OnStringLimit = ScriptLimitBehavior.Throw,
            MemberFilter = ModelImporter.IsVisible,
            RegexTimeOut = TimeSpan.FromSeconds(1),
            NewLine = "\n",
            CancellationToken = timeout.Token,
        };
        context.PushCulture(culture);
        var globals = importer.Import(model);
        context.Scopes.Add(globals);
        context.PushGlobal(globals);

        CompiledTemplate current = composition.Subject;
        string subject;
        string? html = null, text = null;
        try
        {
            context.Part = TemplatePart.Subject;
            subject = NormalizeSubject(composition.Subject.Template.Render(context));
            if (composition.Html is not null)
            {
                current = composition.Html;
                html = RenderWithLayout(context, composition.Html, composition.HtmlLayout, TemplatePart.Html, ref current);
            }
            if (composition.Text is not null)
            {
                current = composition.Text;
                text = RenderWithLayout(context, composition.Text, composition.TextLayout, TemplatePart.Text, ref current);
            }
        }
        catch (Exception e) when (e is not (MailTemplateException or OutOfMemoryException) && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("Rendering was cancelled.", e, cancellationToken);
            var error = Describe(composition, current, context, e, timeout.IsCancellationRequested);
            Log.RenderFailed(logger, composition.Name, error.Error);
            throw error;
        }

        // No text template: the text body is generated from the HTML, once per email.
        if (text is null && html is not null && options.GenerateTextBody)
            text = HtmlToText.Convert(html, options.TextOptions);
        return new RenderedMail(subject, html, text);
    }

    private static string RenderWithLayout(MailTemplateContext context, CompiledTemplate body, CompiledTemplate? layout, TemplatePart part, ref CompiledTemplate current)
    {
        context.Part = part;
        var content = body.Template.Render(context);
        if (layout is null)
            return content;

        current = layout;
        var scope = new ScriptObject(2);
        scope.SetValue("content", part == TemplatePart.Html ? new RawHtml(content) : content, readOnly: true);
        context.Scopes.Add(scope);
        context.PushGlobal(scope);
        try
        {
            return layout.Template.Render(context);
        }
        finally
        {
            context.PopGlobal();
            context.Scopes.Remove(scope);
        }
    }

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    /// <summary>A subject is one line: line breaks and runs of white space become one space.</summary>
    private static string NormalizeSubject(string subject) => Whitespace().Replace(subject, " ").Trim();

    /// <summary>Resolves <c>include "name"</c> for the part being rendered; throws a located error when it cannot.</summary>
    internal global::Scriban.Template ResolvePartial(MailTemplateContext context, string name, SourceSpan span)
    {
        if (TemplatePaths.Validate(name, "partial") is { } problem)
            throw new ScriptRuntimeException(span, $"include \"{name}\" is not allowed: {problem}");
        if (context.Part == TemplatePart.Html && context.Composition.HtmlPartials.TryGetValue(name, out var inlined))
            return inlined.Template;

        var culture = context.Culture;
        var entry = partials.GetOrAdd((name, context.Part, culture.Name), key =>
        {
            var dependencies = new HashSet<string>(StringComparer.Ordinal);
            var searched = new List<string>();
            var file = FindPartial(key.Name, key.Part, TemplatePaths.CultureChain(culture), dependencies, searched);
            return new PartialEntry(file, searched, dependencies);
        });
        if (entry.File is null)
        {
            partials.TryRemove(new KeyValuePair<(string, TemplatePart, string), PartialEntry>((name, context.Part, culture.Name), entry));
            throw new ScriptRuntimeException(span, $"The partial '{name}' was not found in {source.Description}: looked for {string.Join(", ", entry.Searched)}.");
        }
        if (entry.File.Error is { } error)
            throw new ScriptRuntimeException(span, $"The partial '{name}' does not parse: {error.Message}");
        return entry.File.Template!;
    }

    private Composition Build(string name, CultureInfo culture)
    {
        var started = timeProvider.GetTimestamp();
        var chain = TemplatePaths.CultureChain(culture);
        var dependencies = new HashSet<string>(StringComparer.Ordinal);
        var searched = new List<string>();

        var subject = Find(TemplatePaths.TemplateBase(name, TemplatePart.Subject), chain, dependencies, searched);
        var html = Find(TemplatePaths.TemplateBase(name, TemplatePart.Html), chain, dependencies, searched);
        var text = Find(TemplatePaths.TemplateBase(name, TemplatePart.Text), chain, dependencies, searched);
        if (html is null && text is null)
        {
            throw new MailTemplateException(
                $"Template '{name}' was not found for culture '{CultureLabel(culture)}' in {source.Description}: looked for {string.Join(", ", searched)}.",
                MailTemplateError.NotFound, name, searchedPaths: searched);
        }
        if (subject is null)
        {
            var subjectPaths = searched.Where(p => p.StartsWith(TemplatePaths.TemplateBase(name, TemplatePart.Subject), StringComparison.Ordinal)).ToList();
            throw new MailTemplateException(
                $"Template '{name}' has no subject for culture '{CultureLabel(culture)}' in {source.Description}: looked for {string.Join(", ", subjectPaths)}.",
                MailTemplateError.NotFound, name, searchedPaths: subjectPaths);
        }
        foreach (var file in new[] { subject, html, text })
        {
            if (file?.Error is { } error)
                throw WithTemplate(error, name);
        }

        var htmlLayout = html is null ? null : FindLayout(name, html, TemplatePart.Html, chain, dependencies);
        var textLayout = text is null ? null : FindLayout(name, text, TemplatePart.Text, chain, dependencies);

        var maps = new Dictionary<string, SourceMap>(StringComparer.Ordinal);
        var htmlPartials = new Dictionary<string, CompiledTemplate>(StringComparer.Ordinal);
        CompiledTemplate? compiledHtml = html is null ? null : Raw(html);
        CompiledTemplate? compiledLayout = htmlLayout is null ? null : Raw(htmlLayout);
        var inlined = false;
        if (options.InlineCss && html is not null)
        {
            var partialFiles = new Dictionary<string, TemplateFile>(StringComparer.Ordinal);
            var result = CssInliner.Inline(
                new HtmlFile(html.Path, html.Scan),
                htmlLayout is null ? null : new HtmlFile(htmlLayout.Path, htmlLayout.Scan),
                partialName =>
                {
                    var partial = FindPartial(partialName, TemplatePart.Html, chain, dependencies, searched: null);
                    if (partial is not { Error: null })
                        return null;
                    partialFiles[partial.Path] = partial;
                    return new HtmlFile(partial.Path, partial.Scan);
                });
            foreach (var warning in result.Warnings)
                Log.CssWarning(logger, name, warning);

            CompiledTemplate Compile(TemplateFile file)
            {
                if (!result.Files.TryGetValue(file.Path, out var edited))
                    return Raw(file);
                maps[file.Path] = edited.Map;
                var template = global::Scriban.Template.Parse(edited.Source, file.Path, parserOptions);
                if (template.HasErrors)
                {
                    // Inlining only touches attributes and style elements: this would be a bug, so say so.
                    throw new MailTemplateException(
                        $"Template '{name}': {file.Path} no longer parses after its CSS was inlined ({string.Join("; ", template.Messages.Select(m => m.Message))}). Turn Mailing:Templates:InlineCss off and report this.",
                        MailTemplateError.Syntax, name, file.Path);
                }
                inlined = true;
                return new CompiledTemplate(file.Path, template, edited.Map);
            }

            compiledHtml = Compile(html);
            compiledLayout = htmlLayout is null ? null : Compile(htmlLayout);
            foreach (var (partialName, file) in result.Partials)
                htmlPartials[partialName] = Compile(partialFiles[file.Path]);
        }

        var composition = new Composition
        {
            Name = name,
            Culture = culture,
            Subject = Raw(subject),
            Html = compiledHtml,
            HtmlLayout = compiledLayout,
            Text = text is null ? null : Raw(text),
            TextLayout = textLayout is null ? null : Raw(textLayout),
            HtmlPartials = htmlPartials,
            Dependencies = dependencies,
            Maps = maps,
        };
        Log.TemplateLoaded(logger, name, culture.Name, timeProvider.GetElapsedTime(started).TotalMilliseconds, dependencies.Count, inlined);
        return composition;
    }

    private static CompiledTemplate Raw(TemplateFile file) => new(file.Path, file.Template!, null);

    private static string CultureLabel(CultureInfo culture) => culture.Name.Length == 0 ? "invariant" : culture.Name;

    [GeneratedRegex("""(?<![\w.$])layout\s*=(?!=)\s*(?:"(?<name>[^"]*)"|'(?<name>[^']*)'|(?<none>null|false)\b)?""", RegexOptions.CultureInvariant)]
    private static partial Regex LayoutAssignment();

    /// <summary>
    /// The layout of a template part: the one it names with <c>{{ layout = "name" }}</c>, none for
    /// <c>{{ layout = null }}</c>, else the default layout when that exists.
    /// </summary>
    private TemplateFile? FindLayout(string name, TemplateFile file, TemplatePart part, string[] chain, HashSet<string> dependencies)
    {
        string? layoutName = options.DefaultLayout;
        var explicitLayout = false;
        foreach (var block in file.Scan.Code)
        {
            var match = LayoutAssignment().Match(file.Source, block.Start, block.End - block.Start);
            if (!match.Success)
                continue;
            if (!match.Groups["name"].Success && !match.Groups["none"].Success)
            {
                var (line, column) = SourceMap.LineColumn(file.Source, match.Index);
                throw new MailTemplateException(
                    $"Template '{name}': {file.Path}({line},{column}): the layout must be chosen with a literal name, {{{{ layout = \"plain\" }}}}, or {{{{ layout = null }}}} for none.",
                    MailTemplateError.Syntax, name, file.Path, line, column);
            }
            layoutName = match.Groups["name"].Success ? match.Groups["name"].Value : null;
            explicitLayout = true;
            break;
        }
        if (string.IsNullOrEmpty(layoutName))
            return null;
        if (TemplatePaths.Validate(layoutName, "layout") is { } problem)
            throw new MailTemplateException($"Template '{name}': {file.Path}: {problem}", MailTemplateError.Syntax, name, file.Path);

        var searched = new List<string>();
        var layout = Find(TemplatePaths.LayoutBase(layoutName, part), chain, dependencies, searched);
        if (layout is null)
        {
            return explicitLayout
                ? throw new MailTemplateException(
                    $"Template '{name}': the layout '{layoutName}' named in {file.Path} was not found in {source.Description}: looked for {string.Join(", ", searched)}.",
                    MailTemplateError.NotFound, name, file.Path, searchedPaths: searched)
                : null;
        }
        return layout.Error is { } error ? throw WithTemplate(error, name) : layout;
    }

    private TemplateFile? FindPartial(string name, TemplatePart part, string[] chain, HashSet<string> dependencies, List<string>? searched)
    {
        foreach (var basePath in TemplatePaths.PartialBases(name, part))
        {
            var file = Find(basePath, chain, dependencies, searched);
            if (file is not null)
                return file;
        }
        return null;
    }

    private TemplateFile? Find(string basePath, string[] chain, HashSet<string> dependencies, List<string>? searched)
    {
        foreach (var path in TemplatePaths.Candidates(basePath, chain))
        {
            dependencies.Add(path);
            searched?.Add(path);
            if (GetFile(path) is { } file)
                return file;
        }
        return null;
    }

    private TemplateFile? GetFile(string path)
    {
        if (files.TryGetValue(path, out var cached))
            return cached;
        var before = Volatile.Read(ref version);
        var file = Load(path);
        return Volatile.Read(ref version) == before ? files.GetOrAdd(path, file) : file;
    }

    private TemplateFile? Load(string path)
    {
        var text = source.Read(path);
        if (text is null)
            return null;
        var template = global::Scriban.Template.Parse(text, path, parserOptions);
        if (!template.HasErrors)
            return new TemplateFile { Path = path, Source = text, Template = template };

        var messages = template.Messages.Where(m => m.Type == ParserMessageType.Error).ToList();
        var first = messages.FirstOrDefault() ?? template.Messages[0];
        var line = first.Span.Start.Line + 1;
        var column = first.Span.Start.Column + 1;
        var limit = messages.Any(m => m.Message.Contains("depth limit", StringComparison.Ordinal));
        var all = string.Join(" ", messages.Take(5).Select(m => $"{path}({m.Span.Start.Line + 1},{m.Span.Start.Column + 1}): {m.Message}"));
        return new TemplateFile
        {
            Path = path,
            Source = text,
            Error = new MailTemplateException(
                limit ? $"{all} Templates may nest at most {MaxNestingDepth} levels." : all,
                limit ? MailTemplateError.LimitExceeded : MailTemplateError.Syntax, null, path, line, column),
        };
    }

    private static MailTemplateException WithTemplate(MailTemplateException error, string name) =>
        new($"Template '{name}': {error.Message}", error.Error, name, error.FilePath, error.Line, error.Column, error.SearchedPaths, error.InnerException);

    /// <summary>Turns a Scriban failure into an error naming the template, the file, the line and the column.</summary>
    private MailTemplateException Describe(Composition composition, CompiledTemplate current, MailTemplateContext context, Exception e, bool timedOut)
    {
        var span = e is ScriptRuntimeException runtime ? runtime.Span : context.CurrentNode?.Span ?? default;
        var path = string.IsNullOrEmpty(span.FileName) ? current.Path : span.FileName;
        int? line = null, column = null;
        if (span.Start.Offset >= 0 && (span.Start.Line > 0 || span.Start.Column > 0 || span.Start.Offset > 0 || span.End.Offset > 0))
        {
            if (composition.Maps.TryGetValue(path, out var map))
                (line, column) = SourceMap.LineColumn(map.Original, map.ToOriginalOffset(span.Start.Offset));
            else
                (line, column) = (span.Start.Line + 1, span.Start.Column + 1);
        }

        var reason = e switch
        {
            ScriptAbortException when timedOut => $"rendering took longer than Mailing:Templates:RenderTimeout ({options.RenderTimeout}) and was stopped.",
            ScriptRuntimeException runtimeError => runtimeError.OriginalMessage,
            InsufficientExecutionStackException => "the template nests calls too deeply.",
            _ => e.Message,
        };
        var kind = e switch
        {
            ScriptAbortException when timedOut => MailTemplateError.Timeout,
            InsufficientExecutionStackException => MailTemplateError.LimitExceeded,
            _ when reason.Contains("limit", StringComparison.OrdinalIgnoreCase) || reason.Contains("Limit", StringComparison.Ordinal) => MailTemplateError.LimitExceeded,
            _ => MailTemplateError.Runtime,
        };
        if (kind == MailTemplateError.LimitExceeded && e is ScriptRuntimeException)
            reason += LimitHint(reason);

        var where = line is null ? path : $"{path}({line},{column})";
        var message = new StringBuilder()
            .Append("Template '").Append(composition.Name).Append("' (culture '").Append(CultureLabel(composition.Culture)).Append("'): ")
            .Append(where).Append(": ").Append(reason).ToString();
        return new MailTemplateException(message, kind, composition.Name, path, line, column, innerException: e);
    }

    private static string LimitHint(string reason) =>
        reason.Contains("LoopLimit", StringComparison.Ordinal) ? " (Mailing:Templates:LoopLimit)"
        : reason.Contains("recursive", StringComparison.OrdinalIgnoreCase) ? " (Mailing:Templates:RecursiveLimit)"
        : reason.Contains("OutputLimit", StringComparison.Ordinal) || reason.Contains("LimitToString", StringComparison.Ordinal) ? " (Mailing:Templates:OutputLimit)"
        : string.Empty;

    private void OnSourceChanged(string? path)
    {
        Interlocked.Increment(ref version);
        if (path is null)
        {
            files.Clear();
            compositions.Clear();
            partials.Clear();
            Log.WatcherReset(logger);
            return;
        }

        bool Affects(string dependency) =>
            dependency == path || dependency.StartsWith(path + "/", StringComparison.Ordinal);

        foreach (var key in files.Keys)
        {
            if (Affects(key))
                files.TryRemove(key, out _);
        }
        var dropped = 0;
        foreach (var (key, lazy) in compositions)
        {
            // A composition still being built is dropped too: it may have read the old file.
            if ((!lazy.IsValueCreated || lazy.Value.Dependencies.Any(Affects)) && compositions.TryRemove(key, out _))
                dropped++;
        }
        foreach (var (key, partial) in partials)
        {
            if (partial.Dependencies.Any(Affects) && partials.TryRemove(key, out _))
                dropped++;
        }
        Log.TemplateChanged(logger, path, dropped);
    }

    public void Dispose()
    {
        source.Changed -= OnSourceChanged;
        source.Dispose();
    }

    private sealed record PartialEntry(TemplateFile? File, List<string> Searched, HashSet<string> Dependencies);
}
