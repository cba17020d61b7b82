using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>An HTML template file with its scan.</summary>
internal sealed record HtmlFile(string Path, HtmlTemplateScan Scan)
{
    public string Source => Scan.Source;
}

/// <summary>A template source with CSS inlined, and how to map its positions back to the original.</summary>
internal sealed record InlinedSource(string Source, SourceMap Map);

/// <summary>The outcome of inlining the CSS of one email composition (layout + template + partials).</summary>
internal sealed class CssInlineResult
{
    /// <summary>Edited sources by file path; files without a change are absent.</summary>
    public Dictionary<string, InlinedSource> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>The partials met in the composition, by include name.</summary>
    public Dictionary<string, HtmlFile> Partials { get; } = new(StringComparer.Ordinal);

    public List<string> Warnings { get; } = [];
}

/// <summary>
/// Moves CSS into <c>style</c> attributes once per template, instead of once per email. The markup of the layout,
/// the template and every partial it includes by a literal name is assembled into one skeleton document, with each
/// block of template code replaced by an inert placeholder (an HTML comment between elements, a token inside a tag)
/// and every start tag marked with an id. PreMailer.Net inlines the skeleton exactly as it would inline a rendered
/// email; the attributes it set on each marked element are then written into the original source at that tag, and the
/// <c>&lt;style&gt;</c> elements it removed are removed there. Template code is never touched, so the result is the
/// same template with static styles, parsed once and cached.
/// </summary>
/// <remarks>
/// What a skeleton cannot know: markup produced by code (strings, raw model values) is not styled, a class or id whose
/// value is template code matches no selector, and structural pseudo-classes (<c>:nth-child</c>) see one copy of a
/// loop's body. A partial included where different rules apply gets the styles of its first place, and elements
/// inside alternative start tags (<c>{{ if }}&lt;tr class="a"&gt;{{ else }}&lt;tr class="b"&gt;{{ end }}</c>) those of the
/// last one; both are logged as warnings.
/// </remarks>
internal static partial class CssInliner
{
    private const string IdAttribute = "data-mtk";
    private const string IgnoreAttribute = "data-mtk-ignore";

    public static CssInlineResult Inline(HtmlFile template, HtmlFile? layout, Func<string, HtmlFile?> resolvePartial)
    {
        var result = new CssInlineResult();
        var builder = new SkeletonBuilder(resolvePartial, result);
        var skeleton = layout is null ? builder.Build(template, body: null) : builder.Build(layout, body: template);
        if (skeleton.IndexOf("<style", StringComparison.OrdinalIgnoreCase) < 0)
            return result;

        using var premailer = new PreMailer.Net.PreMailer(skeleton);
        var before = Snapshot(premailer.Document);
        var inlined = premailer.MoveCssInline(
            removeStyleElements: true,
            ignoreElements: $"[{IgnoreAttribute}]",
            preserveMediaQueries: true);
        result.Warnings.AddRange(inlined.Warnings);
        var after = Snapshot(premailer.Document);

        var changes = new Dictionary<(string Path, int Tag), TagChange>();
        foreach (var (id, (file, tag)) in builder.Ids)
        {
            var change = Diff(tag, before.GetValueOrDefault(id), after.GetValueOrDefault(id));
            if (change is null)
                continue;
            var key = (file.Path, tag.Index);
            if (changes.TryGetValue(key, out var earlier))
            {
                if (!earlier.SameAs(change))
                    result.Warnings.Add($"{file.Path}: the <{tag.Name}> at offset {tag.Start} gets different styles where it is included; the first place's styles are used.");
                continue;
            }
            changes[key] = change;
        }

        foreach (var group in changes.GroupBy(c => c.Key.Path, StringComparer.Ordinal))
        {
            var file = builder.Files[group.Key];
            result.Files[file.Path] = Apply(file, group.Select(g => (file.Scan.Tags[g.Key.Tag], g.Value)));
        }
        return result;
    }

    /// <summary>Attributes (and the text of style elements) of every marked element, by id.</summary>
    private static Dictionary<int, ElementState> Snapshot(IDocument document)
    {
        var states = new Dictionary<int, ElementState>();
        foreach (var element in document.QuerySelectorAll($"[{IdAttribute}]"))
        {
            if (!int.TryParse(element.GetAttribute(IdAttribute), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                continue;
            var attributes = new List<KeyValuePair<string, string>>(element.Attributes.Length);
            foreach (var attribute in element.Attributes)
            {
                if (attribute.Name is not (IdAttribute or IgnoreAttribute))
                    attributes.Add(new(attribute.Name, attribute.Value));
            }
            states.TryAdd(id, new ElementState(attributes, element.LocalName == "style" ? element.TextContent : null));
        }
        return states;
    }

    private static TagChange? Diff(HtmlStartTag tag, ElementState? before, ElementState? after)
    {
        if (before is null)
            return null; // the parser dropped or merged this tag: nothing to learn about it
        if (after is null)
            return tag.Name == "style" ? new TagChange([], RemoveElement: true, NewContent: null) : null;

        var set = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in after.Attributes)
        {
            var old = before.Attributes.FirstOrDefault(a => a.Key == name);
            if (old.Key is null || old.Value != value)
                set.Add(new(name, value));
        }
        var content = tag.Name == "style" && after.Text != before.Text ? after.Text : null;
        return set.Count == 0 && content is null ? null : new TagChange(set, RemoveElement: false, content);
    }

    /// <summary>Writes the changes into the original source; the returned map leads positions back to it.</summary>
    private static InlinedSource Apply(HtmlFile file, IEnumerable<(HtmlStartTag Tag, TagChange Change)> changes)
    {
        var source = file.Source;
        var edits = new List<(int Offset, int Length, string Text)>();
        foreach (var (tag, change) in changes)
        {
            if (change.RemoveElement && tag.ElementEnd > tag.Start)
            {
                edits.Add((tag.Start, tag.ElementEnd - tag.Start, string.Empty));
                continue;
            }
            if (change.NewContent is not null && tag.ContentStart >= 0)
            {
                edits.Add((tag.ContentStart, tag.ContentEnd - tag.ContentStart, change.NewContent.ReplaceLineEndings("\n")));
            }

            var inserted = new StringBuilder();
            foreach (var (name, value) in change.Set)
            {
                var existing = tag.Attribute(name);
                if (existing is null)
                {
                    inserted.Append(' ').Append(name).Append("=\"").Append(Encode(value, '"')).Append('"');
                }
                else if (existing.ValueStart < 0)
                {
                    edits.Add((existing.NameStart, existing.NameEnd - existing.NameStart, $"{name}=\"{Encode(value, '"')}\""));
                }
                else if (name == "style" && existing.HasCode)
                {
                    // The skeleton had no style attribute here: the value is the style sheet's part only.
                    // The template's own declarations follow, so they win as they do in a browser.
                    var own = source[existing.ValueStart..existing.ValueEnd];
                    var merged = value.TrimEnd().TrimEnd(';') + "; ";
                    edits.Add(existing.Quote == '\0'
                        ? (existing.ValueStart, existing.ValueEnd - existing.ValueStart, $"\"{Encode(merged, '"')}{own}\"")
                        : (existing.ValueStart, 0, Encode(merged, existing.Quote)));
                }
                else if (existing.Quote == '\0')
                {
                    edits.Add((existing.ValueStart, existing.ValueEnd - existing.ValueStart, $"\"{Encode(value, '"')}\""));
                }
                else
                {
                    edits.Add((existing.ValueStart, existing.ValueEnd - existing.ValueStart, Encode(value, existing.Quote)));
                }
            }
            if (inserted.Length > 0 && tag.InsertAt >= 0)
                edits.Add((tag.InsertAt, 0, inserted.ToString()));
        }

        edits.Sort((a, b) => a.Offset != b.Offset ? a.Offset.CompareTo(b.Offset) : a.Length.CompareTo(b.Length));
        var output = new StringBuilder(source.Length + 256);
        var map = new List<SourceEdit>(edits.Count);
        var cursor = 0;
        foreach (var (offset, length, text) in edits)
        {
            if (offset < cursor)
                continue; // inside a removed element
            output.Append(source, cursor, offset - cursor).Append(text);
            map.Add(new SourceEdit(offset, length, text.Length));
            cursor = offset + length;
        }
        output.Append(source, cursor, source.Length - cursor);
        return new InlinedSource(output.ToString(), new SourceMap(source, map));
    }

    /// <summary>HTML-encodes an attribute value; "{{" is written with an entity so it can never open template code.</summary>
    private static string Encode(string value, char quote)
    {
        var builder = new StringBuilder(value.Length + 8);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '"' when quote == '"': builder.Append("&quot;"); break;
                case '\'' when quote == '\'': builder.Append("&#39;"); break;
                case '\r' or '\n': builder.Append(' '); break;
                case '{' when i + 1 < value.Length && value[i + 1] == '{': builder.Append("&#123;"); break;
                case '}' when i + 1 < value.Length && value[i + 1] == '}': builder.Append("&#125;"); break;
                default: builder.Append(c); break;
            }
        }
        return builder.ToString();
    }

    [GeneratedRegex("""\binclude\s*\(?\s*(?:"([^"\\]+)"|'([^'\\]+)')""", RegexOptions.CultureInvariant)]
    private static partial Regex IncludeRegex();

    [GeneratedRegex(@"(?<![\w.$])content(?![\w(])", RegexOptions.CultureInvariant)]
    private static partial Regex ContentRegex();

    [GeneratedRegex(@"@import\b[^;{}]*;?", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ImportRegex();

    /// <summary>Literal include names in a block of code: <c>include "button"</c>, <c>include('footer')</c>.</summary>
    public static IEnumerable<string> IncludedNames(string code)
    {
        foreach (Match match in IncludeRegex().Matches(code))
            yield return match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
    }

    private sealed record ElementState(List<KeyValuePair<string, string>> Attributes, string? Text);

    private sealed record TagChange(List<KeyValuePair<string, string>> Set, bool RemoveElement, string? NewContent)
    {
        public bool SameAs(TagChange other) =>
            RemoveElement == other.RemoveElement && NewContent == other.NewContent && Set.SequenceEqual(other.Set);
    }

    [GeneratedRegex(@"\belse\b", RegexOptions.CultureInvariant)]
    private static partial Regex ElseRegex();

    /// <summary>Assembles the skeleton document and remembers which marked element is which tag of which file.</summary>
    private sealed class SkeletonBuilder(Func<string, HtmlFile?> resolvePartial, CssInlineResult result)
    {
        private readonly Stack<string> stack = new();
        private bool bodyInserted;

        public Dictionary<int, (HtmlFile File, HtmlStartTag Tag)> Ids { get; } = [];

        public Dictionary<string, HtmlFile> Files { get; } = new(StringComparer.Ordinal);

        public string Build(HtmlFile file, HtmlFile? body)
        {
            var output = new StringBuilder(file.Source.Length * 2);
            Append(output, file, body);
            if (body is not null && !bodyInserted)
                Append(output, body, null); // a layout without {{ content }}: still style the template
            return output.ToString();
        }

        /// <summary>
        /// <c>{{ if odd }}&lt;tr class="a"&gt;{{ else }}&lt;tr class="b"&gt;{{ end }}</c>: the elements inside get one set of
        /// styles, those of the last alternative. Say so, with the place, rather than style them wrongly in silence.
        /// </summary>
        private void WarnAboutAlternativeAncestors(HtmlFile file)
        {
            var tags = file.Scan.Tags;
            for (var i = 1; i < tags.Count; i++)
            {
                var (previous, current) = (tags[i - 1], tags[i]);
                if (previous.End < 0 || previous.ElementEnd >= 0 || previous.Name != current.Name)
                    continue;
                var between = file.Source.AsSpan(previous.End + 1, current.Start - previous.End - 1);
                var hasElse = false;
                var onlyCode = true;
                for (var p = previous.End + 1; p < current.Start && onlyCode; p++)
                {
                    var block = file.Scan.Code.FirstOrDefault(b => b.Start == p);
                    if (block.End > block.Start)
                    {
                        hasElse |= ElseRegex().IsMatch(file.Source.AsSpan(block.Start, block.End - block.Start));
                        p = block.End - 1;
                    }
                    else if (!char.IsWhiteSpace(file.Source[p]))
                    {
                        onlyCode = false;
                    }
                }
                // Only a problem when the alternatives have elements inside them.
                var close = file.Source.IndexOf("</" + current.Name, current.End + 1, StringComparison.OrdinalIgnoreCase);
                var hasChildren = i + 1 < tags.Count && (close < 0 || tags[i + 1].Start < close);
                if (hasElse && onlyCode && hasChildren && !between.IsEmpty)
                {
                    var (line, column) = SourceMap.LineColumn(file.Source, current.Start);
                    result.Warnings.Add(
                        $"{file.Path}({line},{column}): <{current.Name}> start tags chosen by {{{{ else }}}}: CSS is inlined once, so the elements inside them get the styles they would have in the last one. Put the changing class on the elements whose style changes.");
                }
            }
        }

        private void Append(StringBuilder output, HtmlFile file, HtmlFile? body)
        {
            if (stack.Contains(file.Path) || stack.Count > 32)
                return;
            stack.Push(file.Path);
            if (Files.TryAdd(file.Path, file))
                WarnAboutAlternativeAncestors(file);
            var source = file.Source;

            var events = new List<(int Start, int End, int Order, Action Emit)>();
            foreach (var tag in file.Scan.Tags)
            {
                var id = Ids.Count;
                Ids[id] = (file, tag);
                var ignore = tag.Name == "link" || (tag.Name == "style" && tag.ContentHasCode);
                events.Add((tag.NameEnd, tag.NameEnd, 0, () =>
                {
                    output.Append(' ').Append(IdAttribute).Append("=\"").Append(id.ToString(CultureInfo.InvariantCulture)).Append('"');
                    if (ignore)
                        output.Append(' ').Append(IgnoreAttribute);
                }));
                foreach (var attribute in tag.Attributes)
                {
                    if (attribute is { Name: "style", HasCode: true })
                    {
                        var end = attribute.ValueStart < 0 ? attribute.NameEnd : attribute.ValueEnd + (attribute.Quote == '\0' ? 0 : 1);
                        events.Add((attribute.NameStart, Math.Min(end, source.Length), 1, () => { }));
                    }
                }
                if (tag is { Name: "style", ContentHasCode: false, ContentStart: >= 0 }
                    && source.AsSpan(tag.ContentStart, tag.ContentEnd - tag.ContentStart).Contains("@import", StringComparison.OrdinalIgnoreCase))
                {
                    // Never let the inliner download anything: @import rules are left out of the skeleton.
                    var css = source[tag.ContentStart..tag.ContentEnd];
                    events.Add((tag.ContentStart, tag.ContentEnd, 1, () => output.Append(ImportRegex().Replace(css, string.Empty))));
                }
            }
            foreach (var block in file.Scan.Code)
            {
                var code = source[block.Start..block.End];
                events.Add((block.Start, block.End, 1, block.Context switch
                {
                    CodeContext.Data => () =>
                    {
                        output.Append("<!--mtk-->");
                        foreach (var name in IncludedNames(code))
                        {
                            if (TemplatePaths.Validate(name, "partial") is not null)
                                continue;
                            var partial = resolvePartial(name);
                            if (partial is null)
                                continue;
                            result.Partials.TryAdd(name, partial);
                            Append(output, partial, null);
                        }
                        if (body is not null && !bodyInserted && ContentRegex().IsMatch(code))
                        {
                            bodyInserted = true;
                            Append(output, body, null);
                        }
                    },
                    CodeContext.Tag => () => output.Append("mtkc"),
                    _ => () => { },
                }));
            }

            events.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Order.CompareTo(b.Order));
            var cursor = 0;
            foreach (var (start, end, _, emit) in events)
            {
                if (start < cursor)
                    continue; // inside a range already replaced (code in a dropped style attribute)
                output.Append(source, cursor, start - cursor);
                emit();
                cursor = end;
            }
            output.Append(source, cursor, source.Length - cursor);
            stack.Pop();
        }
    }
}
