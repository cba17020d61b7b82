using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Scriban.Runtime;

namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>
/// Turns a model into the variables a template sees: its public readable properties, named the Scriban way
/// (<c>CustomerName</c> becomes <c>customer_name</c>). Nested objects are read through the same filter
/// (<see cref="IsVisible"/>): public instance properties only, never reflection, IO, threading or service types.
/// Dictionaries and <see cref="JsonElement"/> models work too (JSON strings in ISO 8601 date form become dates).
/// </summary>
internal sealed partial class ModelImporter
{
    private static readonly string[] HiddenNamespaces =
    [
        "System.Reflection", "System.IO", "System.Threading", "System.Diagnostics", "System.Runtime",
        "System.Security", "System.Net", "Microsoft.Extensions", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore",
    ];

    private readonly ConcurrentDictionary<Type, Accessor[]> accessors = new();

    public ScriptObject Import(object? model)
    {
        switch (model)
        {
            case null:
                return new ScriptObject();
            case ScriptObject scriptObject:
            {
                var copy = new ScriptObject(scriptObject.Count + 4);
                copy.Import(scriptObject);
                return copy;
            }
            case JsonElement json:
                return json.ValueKind == JsonValueKind.Object
                    ? (ScriptObject)FromJson(json)!
                    : throw new ArgumentException($"A JSON model must be an object, not {json.ValueKind}.", nameof(model));
            case JsonDocument document:
                return Import(document.RootElement);
            case IDictionary<string, object?> dictionary:
            {
                var result = new ScriptObject(dictionary.Count + 4);
                foreach (var (key, value) in dictionary)
                    result.SetValue(key, value, readOnly: false);
                return result;
            }
            case IReadOnlyDictionary<string, object?> dictionary:
            {
                var result = new ScriptObject(dictionary.Count + 4);
                foreach (var (key, value) in dictionary)
                    result.SetValue(key, value, readOnly: false);
                return result;
            }
        }

        var type = model.GetType();
        if (type.IsPrimitive || model is string or decimal or IEnumerable)
            throw new ArgumentException($"The model must be an object with properties (an anonymous object, a class or record, a dictionary or a JSON object), not {type.Name}.", nameof(model));

        var list = accessors.GetOrAdd(type, static t => t
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(IsVisible)
            .Select(p => new Accessor(StandardMemberRenamer.Default(p), p))
            .ToArray());
        var globals = new ScriptObject(list.Length + 4);
        foreach (var accessor in list)
            globals.SetValue(accessor.Name, accessor.Property.GetValue(model), readOnly: false);
        return globals;
    }

    /// <summary>The member filter for model objects: public readable instance properties of harmless types.</summary>
    public static bool IsVisible(MemberInfo member) =>
        member is PropertyInfo { CanRead: true } property
        && property.GetMethod is { IsPublic: true, IsStatic: false }
        && property.GetIndexParameters().Length == 0
        && IsHarmless(property.PropertyType)
        && IsHarmless(property.DeclaringType);

    private static bool IsHarmless(Type? type)
    {
        if (type is null)
            return true;
        if (typeof(MemberInfo).IsAssignableFrom(type) || typeof(Assembly).IsAssignableFrom(type) || typeof(Module).IsAssignableFrom(type)
            || typeof(Delegate).IsAssignableFrom(type) || typeof(IServiceProvider).IsAssignableFrom(type) || typeof(Stream).IsAssignableFrom(type)
            || typeof(Task).IsAssignableFrom(type) || type == typeof(IntPtr) || type == typeof(UIntPtr) || type.IsPointer)
            return false;
        var ns = type.Namespace ?? string.Empty;
        foreach (var hidden in HiddenNamespaces)
        {
            if (ns.Equals(hidden, StringComparison.Ordinal) || ns.StartsWith(hidden + ".", StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    private static object? FromJson(JsonElement json)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var result = new ScriptObject();
                foreach (var property in json.EnumerateObject())
                    result.SetValue(property.Name, FromJson(property.Value), readOnly: false);
                return result;
            }
            case JsonValueKind.Array:
            {
                var array = new ScriptArray(json.GetArrayLength());
                foreach (var item in json.EnumerateArray())
                    array.Add(FromJson(item));
                return array;
            }
            case JsonValueKind.String:
            {
                var text = json.GetString()!;
                if (IsoDate().IsMatch(text))
                {
                    if (text.Length == 10 && DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                        return date;
                    if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var moment))
                        return moment.DateTime;
                }
                return text;
            }
            case JsonValueKind.Number:
                if (json.TryGetInt32(out var i))
                    return i;
                if (json.TryGetInt64(out var l))
                    return l;
                return json.TryGetDecimal(out var d) ? d : json.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    private sealed record Accessor(string Name, PropertyInfo Property);
}
