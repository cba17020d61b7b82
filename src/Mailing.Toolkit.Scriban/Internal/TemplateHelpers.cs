using System.Collections.Frozen;
using System.Globalization;
using Scriban;
using Scriban.Functions;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>
/// What templates can call besides the model: Scriban's string, array, math, date, timespan, html, regex and object
/// functions (without <c>object.eval</c>/<c>eval_template</c>, which would run strings as code), and our helpers:
/// <c>include</c>, <c>html.raw</c>, <c>format</c>, <c>format_currency</c>, <c>safe_url</c>, <c>defined</c>, <c>culture</c>.
/// Built once and frozen: every render shares it and no template can change it.
/// </summary>
internal static class TemplateHelpers
{
    private static readonly string[] RemovedObjectFunctions = ["eval", "eval_template"];
    private static readonly Lazy<FrozenDictionary<string, string>> CurrencySymbols = new(LoadCurrencySymbols);

    public static ScriptObject CreateBuiltins()
    {
        var defaults = new BuiltinFunctions();
        var builtins = new ScriptObject(16);
        foreach (var name in new[] { "array", "empty", "blank", "date", "math", "regex", "string", "timespan" })
            builtins.SetValue(name, Freeze(defaults[name]), readOnly: true);

        var objectFunctions = new ScriptObject();
        foreach (var (name, value) in (ScriptObject)defaults["object"]!)
        {
            if (!RemovedObjectFunctions.Contains(name))
                objectFunctions.SetValue(name, value, readOnly: true);
        }
        builtins.SetValue("object", Freeze(objectFunctions), readOnly: true);

        var html = new ScriptObject();
        foreach (var (name, value) in (ScriptObject)defaults["html"]!)
            html.SetValue(name, value, readOnly: false);
        html.Import("raw", new Func<TemplateContext, object?, RawHtml>(Raw));
        html.Import("escape", new Func<TemplateContext, object?, RawHtml>(Escape));
        html.Import("newline_to_br", new Func<TemplateContext, object?, RawHtml>(NewlineToBr));
        builtins.SetValue("html", Freeze(html), readOnly: true);

        builtins.SetValue("include", new IncludeFunction(), readOnly: true);
        builtins.Import("format", new Func<TemplateContext, object?, string?, string?>(Format));
        builtins.Import("format_currency", new Func<TemplateContext, object?, string, string?>(FormatCurrency));
        builtins.Import("safe_url", new Func<object?, string>(SafeUrl));
        builtins.Import("defined", new Func<TemplateContext, string, bool>(Defined));
        builtins.Import("culture", new Func<TemplateContext, string>(context => context.CurrentCulture.Name));
        builtins.IsReadOnly = true;
        return builtins;
    }

    private static object? Freeze(object? value)
    {
        if (value is ScriptObject scriptObject)
        {
            foreach (var name in scriptObject.Keys.ToList())
                scriptObject.SetReadOnly(name, true);
            scriptObject.IsReadOnly = true;
        }
        return value;
    }

    /// <summary><c>{{ value | html.raw }}</c>: writes markup as it is. Never use it on values a user typed.</summary>
    private static RawHtml Raw(TemplateContext context, object? value) =>
        value as RawHtml ?? new RawHtml(context.ObjectToString(value) ?? string.Empty);

    /// <summary><c>{{ value | html.escape }}</c>: escaped once, not again when written (values are escaped anyway).</summary>
    private static RawHtml Escape(TemplateContext context, object? value) =>
        value as RawHtml ?? new RawHtml(HtmlFunctions.Escape(context.ObjectToString(value)) ?? string.Empty);

    /// <summary><c>{{ note | html.newline_to_br }}</c>: the text escaped, with a <c>&lt;br /&gt;</c> at each line break.</summary>
    private static RawHtml NewlineToBr(TemplateContext context, object? value) =>
        new(HtmlFunctions.NewlineToBr(Escape(context, value).Value) ?? string.Empty);

    /// <summary><c>{{ order.total | format "N2" }}</c>, <c>{{ order.date | format "D" }}</c>: .NET formatting in the email's culture.</summary>
    private static string? Format(TemplateContext context, object? value, string? format = null) => value switch
    {
        null => null,
        IFormattable formattable => formattable.ToString(format, context.CurrentCulture),
        _ => context.ObjectToString(value),
    };

    /// <summary>
    /// <c>{{ order.total | format_currency "EUR" }}</c>: an amount in a currency, written the way the email's culture
    /// writes money (pl-PL: <c>1 234,50 €</c>; en-US: <c>€1,234.50</c>).
    /// </summary>
    private static string? FormatCurrency(TemplateContext context, object? value, string currency)
    {
        if (value is null)
            return null;
        var culture = context.CurrentCulture;
        var amount = Convert.ToDecimal(value, culture);
        var format = context is MailTemplateContext mail
            ? mail.Renderer.CurrencyFormat(culture, currency)
            : CreateCurrencyFormat(culture, currency);
        return amount.ToString("C", format);
    }

    /// <summary>The culture's number format with the symbol of <paramref name="currency"/>; the renderer caches it per culture and currency.</summary>
    internal static NumberFormatInfo CreateCurrencyFormat(CultureInfo culture, string currency)
    {
        if (string.IsNullOrWhiteSpace(currency) || currency.Length != 3 || !currency.All(char.IsAsciiLetter))
            throw new ArgumentException($"format_currency needs an ISO 4217 currency code such as \"EUR\" (got \"{currency}\").", nameof(currency));
        var format = (NumberFormatInfo)culture.NumberFormat.Clone();
        format.CurrencySymbol = CurrencySymbol(currency.ToUpperInvariant(), culture);
        return NumberFormatInfo.ReadOnly(format);
    }

    private static string CurrencySymbol(string code, CultureInfo culture)
    {
        try
        {
            if (!culture.IsNeutralCulture && !string.IsNullOrEmpty(culture.Name) && new RegionInfo(culture.Name).ISOCurrencySymbol == code)
                return culture.NumberFormat.CurrencySymbol;
        }
        catch (ArgumentException)
        {
            // a culture without a region
        }
        return CurrencySymbols.Value.TryGetValue(code, out var symbol) ? symbol : code;
    }

    /// <summary>ISO 4217 code to symbol (EUR: €), from the regions .NET knows; built once.</summary>
    private static FrozenDictionary<string, string> LoadCurrencySymbols()
    {
        var symbols = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var specific in CultureInfo.GetCultures(CultureTypes.SpecificCultures))
        {
            try
            {
                var region = new RegionInfo(specific.Name);
                symbols.TryAdd(region.ISOCurrencySymbol, region.CurrencySymbol);
            }
            catch (ArgumentException)
            {
                // a culture without a region
            }
        }
        return symbols.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary><c>&lt;a href="{{ link | safe_url }}"&gt;</c>: the URL when it is http, https, mailto, tel or relative; <c>#</c> otherwise (javascript:, data:, ...).</summary>
    private static string SafeUrl(object? value)
    {
        var url = value?.ToString()?.Trim();
        if (string.IsNullOrEmpty(url))
            return "#";
        var colon = url.IndexOf(':', StringComparison.Ordinal);
        var slash = url.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (slash >= 0 && slash < colon))
            return url; // relative
        var scheme = url[..colon];
        return scheme.Equals("http", StringComparison.OrdinalIgnoreCase)
            || scheme.Equals("https", StringComparison.OrdinalIgnoreCase)
            || scheme.Equals("mailto", StringComparison.OrdinalIgnoreCase)
            || scheme.Equals("tel", StringComparison.OrdinalIgnoreCase)
            ? url
            : "#";
    }

    /// <summary><c>{{ if defined "preheader" }}</c>: whether a global variable exists, also with strict variables on.</summary>
    private static bool Defined(TemplateContext context, string name) =>
        context is MailTemplateContext mail ? mail.IsDefined(name) : context.BuiltinObject.ContainsKey(name);

    /// <summary>
    /// <c>{{ include "button" url: link text: "Open" }}</c>: renders a partial from <c>_partials/</c> of the configured
    /// source, with named arguments as its variables. In HTML its output is markup (not escaped again).
    /// </summary>
    private sealed class IncludeFunction : IScriptCustomFunction
    {
        public int RequiredParameterCount => 1;

        public int ParameterCount => 1;

        public ScriptVarParamKind VarParamKind => ScriptVarParamKind.Direct;

        public Type ReturnType => typeof(object);

        public ScriptParameterInfo GetParameterInfo(int index) =>
            index == 0 ? new ScriptParameterInfo(typeof(string), "template_name") : new ScriptParameterInfo(typeof(object), "value");

        public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement)
        {
            var span = callerContext?.Span ?? context.CurrentSpan;
            if (context is not MailTemplateContext mail)
                throw new ScriptRuntimeException(span, "include is not available here.");
            if (arguments.Count == 0)
                throw new ScriptRuntimeException(span, "include needs the name of a partial, for example {{ include \"button\" }}.");
            var name = context.ObjectToString(arguments[0]) ?? string.Empty;
            var template = mail.Renderer.ResolvePartial(mail, name, span);

            // Named arguments (include "button" url: link) are the partial's variables: {{ url }}.
            ScriptObject? scope = null;
            foreach (var member in arguments.GetMembers())
            {
                if (member == "size" || !arguments.TryGetValue(context, span, member, out var value))
                    continue;
                scope ??= new ScriptObject();
                scope.SetValue(member, value, readOnly: false);
            }
            if (scope is not null)
            {
                mail.Scopes.Add(scope);
                context.PushGlobal(scope);
            }
            try
            {
                var output = context.RenderTemplate(template, arguments, callerContext);
                return mail.Part == TemplatePart.Html ? new RawHtml(output) : output;
            }
            finally
            {
                if (scope is not null)
                {
                    context.PopGlobal();
                    mail.Scopes.Remove(scope);
                }
            }
        }

        public ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement) =>
            ValueTask.FromResult(Invoke(context, callerContext, arguments, blockStatement));
    }
}
