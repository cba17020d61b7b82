using System.Buffers;
using System.Globalization;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>Markup that is written as it is into HTML output: the result of <c>html.raw</c>, a rendered partial, a layout's content.</summary>
internal sealed class RawHtml(string value)
{
    public string Value { get; } = value;

    public override string ToString() => Value;
}

/// <summary>
/// The context of one render. In HTML parts, every value a template writes with <c>{{ ... }}</c> is HTML-escaped
/// unless it is <see cref="RawHtml"/>; the template's own markup is written as it is.
/// </summary>
internal sealed class MailTemplateContext : TemplateContext
{
    private static readonly SearchValues<char> HtmlSpecial = SearchValues.Create("&<>\"'");

    public MailTemplateContext(ScriptObject builtins, ScribanMailTemplateRenderer renderer, Composition composition)
        : base(builtins)
    {
        Renderer = renderer;
        Composition = composition;
    }

    public ScribanMailTemplateRenderer Renderer { get; }

    public Composition Composition { get; }

    /// <summary>The part being rendered: decides escaping and which partial files an include finds.</summary>
    public TemplatePart Part { get; set; }

    /// <summary>The global objects the renderer pushed (model, layout scope), for <c>defined</c>.</summary>
    public List<ScriptObject> Scopes { get; } = new(2);

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        if (Part != TemplatePart.Html || textAsObject is null)
            return base.Write(span, textAsObject);
        if (textAsObject is RawHtml raw)
            return Write(raw.Value);
        var text = ObjectToString(textAsObject);
        if (text is not null)
            WriteEscaped(text);
        return this;
    }

    public override ValueTask<TemplateContext> WriteAsync(SourceSpan span, object? textAsObject) =>
        ValueTask.FromResult(Write(span, textAsObject));

    private void WriteEscaped(string text)
    {
        var start = 0;
        while (true)
        {
            var found = text.AsSpan(start).IndexOfAny(HtmlSpecial);
            if (found < 0)
            {
                Write(text, start, text.Length - start);
                return;
            }
            if (found > 0)
                Write(text, start, found);
            Write(text[start + found] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                _ => "&#39;",
            });
            start += found + 1;
        }
    }

    public bool IsDefined(string name)
    {
        foreach (var scope in Scopes)
        {
            if (scope.ContainsKey(name))
                return true;
        }
        return BuiltinObject.ContainsKey(name);
    }

    public CultureInfo Culture => CurrentCulture;
}
