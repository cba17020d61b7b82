using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace Mailing.Toolkit.Parsing;

/// <summary>
/// Writes a <see cref="ParsedMail"/> as JSON (camelCase, source-generated, no reflection), the format that
/// <c>mailing parse</c> prints and docs/parsed-mail-json.md describes field by field. Null fields are left out.
/// </summary>
/// <remarks>
/// Writing includes each attachment's <c>size</c> and <c>sha256</c>, which decodes the attachments.
/// Letters of every script are written as they are; characters that matter in HTML (<c>&lt;</c>, <c>&gt;</c>,
/// <c>&amp;</c>, quotes) are escaped, so the JSON is safe to embed.
/// </remarks>
public static class ParsedMailJson
{
    private static readonly ParsedMailJsonContext Compact = new(Options(indented: false));
    private static readonly ParsedMailJsonContext Indented = new(Options(indented: true));

    /// <summary>The source-generated type information, for <see cref="JsonSerializer"/> calls of your own.</summary>
    public static JsonTypeInfo<ParsedMail> TypeInfo => Compact.ParsedMail;

    /// <summary>Serializes <paramref name="mail"/> to a JSON string.</summary>
    /// <param name="mail">The parsed message.</param>
    /// <param name="indented">Whether to indent (for people) or write one line (for JSON Lines and machines).</param>
    public static string Serialize(ParsedMail mail, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(mail);
        return JsonSerializer.Serialize(mail, (indented ? Indented : Compact).ParsedMail);
    }

    /// <summary>Serializes <paramref name="mail"/> as UTF-8 JSON into <paramref name="utf8Json"/>.</summary>
    /// <param name="utf8Json">The stream to write to.</param>
    /// <param name="mail">The parsed message.</param>
    /// <param name="indented">Whether to indent.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task SerializeAsync(Stream utf8Json, ParsedMail mail, bool indented = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        ArgumentNullException.ThrowIfNull(mail);
        return JsonSerializer.SerializeAsync(utf8Json, mail, (indented ? Indented : Compact).ParsedMail, cancellationToken);
    }

    private static JsonSerializerOptions Options(bool indented) => new(ParsedMailJsonContext.Default.Options)
    {
        WriteIndented = indented,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ParsedMail))]
internal sealed partial class ParsedMailJsonContext : JsonSerializerContext;
