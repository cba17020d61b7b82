using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>A scanner answered something that is not a verdict; the message says what was wrong.</summary>
internal sealed class SpamReplyException(string message) : Exception(message);

/// <summary>Reads the replies of rspamd (<c>/checkv2</c> JSON) and spamd (SPAMD/1.x) into verdicts.</summary>
internal static class SpamReplies
{
    /// <summary>Reads <paramref name="stream"/> to its end, refusing more than <paramref name="limit"/> bytes (the key <paramref name="path"/>:MaxResponseBytes).</summary>
    public static async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(Stream stream, int limit, string path, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(limit + 1, 16 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit)
                    throw new SpamReplyException($"the reply is larger than {path}:MaxResponseBytes ({limit} bytes)");
                Array.Resize(ref buffer, (int)Math.Min((long)limit + 1, buffer.Length * 2L));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            length += read;
        }

        if (length > limit)
            throw new SpamReplyException($"the reply is larger than {path}:MaxResponseBytes ({limit} bytes)");
        return buffer.AsMemory(0, length);
    }

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 16 };

    /// <summary>Parses rspamd's <c>/checkv2</c> reply.</summary>
    public static SpamVerdict ParseRspamd(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new SpamReplyException($"the reply is not JSON ({ex.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SpamReplyException("the reply is not a JSON object");
            if (root.TryGetProperty("error", out var error))
                throw new SpamReplyException($"rspamd reported an error: {Printable(error.ToString())}");

            var score = Number(root, "score");
            var threshold = Number(root, "required_score");
            if (!root.TryGetProperty("action", out var actionElement) || actionElement.ValueKind != JsonValueKind.String)
                throw new SpamReplyException("the reply has no \"action\"");
            var actionName = actionElement.GetString()!;
            var action = RspamdAction(actionName) ?? throw new SpamReplyException($"the reply has an unknown action \"{Printable(actionName)}\"");

            var symbols = new List<SpamSymbol>();
            if (root.TryGetProperty("symbols", out var symbolsElement))
            {
                if (symbolsElement.ValueKind != JsonValueKind.Object)
                    throw new SpamReplyException("the reply's \"symbols\" is not an object");
                foreach (var property in symbolsElement.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new SpamReplyException($"the reply's symbol \"{Printable(property.Name)}\" is not an object");
                    var symbol = property.Value;
                    var name = symbol.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : property.Name;
                    var points = symbol.TryGetProperty("score", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0;
                    var description = symbol.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                    symbols.Add(new SpamSymbol(name, points, description));
                }
            }

            return new SpamVerdict
            {
                Classifier = RspamdClassifier.ClassifierName,
                Score = score,
                Threshold = threshold,
                Action = action,
                IsSpam = action is SpamAction.AddHeader or SpamAction.RewriteSubject or SpamAction.Reject,
                Symbols = Ordered(symbols),
                Origin = SpamVerdictOrigin.Server,
            };
        }
    }

    /// <summary>rspamd's action names; <c>discard</c> (drop silently) counts as a reject, <c>quarantine</c> as marked spam.</summary>
    public static SpamAction? RspamdAction(string name) => name switch
    {
        "no action" => SpamAction.NoAction,
        "greylist" => SpamAction.Greylist,
        "add header" => SpamAction.AddHeader,
        "rewrite subject" => SpamAction.RewriteSubject,
        "soft reject" => SpamAction.SoftReject,
        "reject" or "discard" => SpamAction.Reject,
        "quarantine" => SpamAction.AddHeader,
        _ => null,
    };

    /// <summary>
    /// Parses a spamd reply: <c>SPAMD/1.x 0 EX_OK</c>, header lines (<c>Spam: True ; 15.0 / 5.0</c>,
    /// <c>Content-length</c>), a blank line, and for SYMBOLS and REPORT a body of exactly Content-length bytes.
    /// </summary>
    public static SpamVerdict ParseSpamd(ReadOnlySpan<byte> reply, SpamdCommand command, double rejectScore)
    {
        var headerEnd = reply.IndexOf("\r\n\r\n"u8);
        var statusEnd = reply.IndexOf("\r\n"u8);
        if (statusEnd < 0)
            throw new SpamReplyException(reply.Length == 0 ? "spamd closed the connection without a reply" : "the reply ended inside its status line");

        var status = Latin1(reply[..statusEnd]);
        var parts = status.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("SPAMD/1.", StringComparison.Ordinal))
            throw new SpamReplyException($"the reply does not start with a SPAMD/1.x status line: \"{Printable(status)}\"");
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            throw new SpamReplyException($"the status line has no numeric code: \"{Printable(status)}\"");
        if (code != 0)
            throw new SpamReplyException($"spamd answered {code} {Printable(parts.Length > 2 ? parts[2] : "")}");
        if (headerEnd < 0)
            throw new SpamReplyException("the reply ended inside its header lines");

        bool? isSpam = null;
        double score = 0, threshold = 0;
        int? contentLength = null;
        var headerLines = headerEnd > statusEnd ? Latin1(reply[(statusEnd + 2)..headerEnd]).Split("\r\n") : [];
        foreach (var line in headerLines)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new SpamReplyException($"the reply has a malformed header line: \"{Printable(line)}\"");
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Spam", StringComparison.OrdinalIgnoreCase))
                (isSpam, score, threshold) = SpamHeader(value);
            else if (name.Equals("Content-length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                    throw new SpamReplyException($"the reply's Content-length is not a number: \"{Printable(value)}\"");
                contentLength = length;
            }
        }

        if (isSpam is null)
            throw new SpamReplyException("the reply has no Spam header");

        var body = reply[(headerEnd + 4)..];
        if (contentLength is { } expected)
        {
            if (body.Length < expected)
                throw new SpamReplyException($"the reply was cut short: {body.Length} of {expected} body bytes");
            body = body[..expected];
        }
        else if (command != SpamdCommand.Check && body.Length > 0)
        {
            throw new SpamReplyException("the reply has a body but no Content-length");
        }

        var symbols = command switch
        {
            SpamdCommand.Symbols => SymbolNames(Encoding.UTF8.GetString(body)),
            SpamdCommand.Report => ReportTable(Encoding.UTF8.GetString(body)),
            _ => [],
        };

        return new SpamVerdict
        {
            Classifier = SpamAssassinClassifier.ClassifierName,
            Score = score,
            Threshold = threshold,
            IsSpam = isSpam.Value,
            Action = !isSpam.Value ? SpamAction.NoAction : score >= rejectScore ? SpamAction.Reject : SpamAction.AddHeader,
            Symbols = Ordered(symbols),
            Origin = SpamVerdictOrigin.Server,
        };
    }

    /// <summary><c>True ; 15.0 / 5.0</c> (spamd also says Yes/No in old versions).</summary>
    private static (bool, double, double) SpamHeader(string value)
    {
        var semicolon = value.IndexOf(';', StringComparison.Ordinal);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (semicolon < 0 || slash < semicolon)
            throw new SpamReplyException($"the Spam header is not \"True|False ; score / threshold\": \"{Printable(value)}\"");
        var flag = value[..semicolon].Trim();
        bool spam = flag.Equals("True", StringComparison.OrdinalIgnoreCase) || flag.Equals("Yes", StringComparison.OrdinalIgnoreCase);
        if (!spam && !flag.Equals("False", StringComparison.OrdinalIgnoreCase) && !flag.Equals("No", StringComparison.OrdinalIgnoreCase))
            throw new SpamReplyException($"the Spam header's flag is neither True nor False: \"{Printable(flag)}\"");
        if (!TryNumber(value[(semicolon + 1)..slash], out var score) || !TryNumber(value[(slash + 1)..], out var threshold))
            throw new SpamReplyException($"the Spam header's score or threshold is not a number: \"{Printable(value)}\"");
        return (spam, score, threshold);
    }

    /// <summary>SYMBOLS: rule names separated by commas.</summary>
    private static List<SpamSymbol> SymbolNames(string body) =>
        [.. body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(name => IsRuleName(name) ? new SpamSymbol(name, 0) : throw new SpamReplyException($"the SYMBOLS body holds \"{Printable(name)}\", which is not a rule name"))];

    /// <summary>
    /// REPORT: the table under the <c>---- ----</c> rule of spamd's report, one rule a line (<c>pts rule-name
    /// description</c>), descriptions continued on indented lines. A report template without the table gives no rules.
    /// </summary>
    private static List<SpamSymbol> ReportTable(string body)
    {
        var symbols = new List<SpamSymbol>();
        var inTable = false;
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!inTable)
            {
                inTable = line.StartsWith("----", StringComparison.Ordinal) && line.Contains(" ---", StringComparison.Ordinal);
                continue;
            }

            if (line.Trim().Length == 0)
                break;
            var fields = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length >= 2 && TryNumber(fields[0], out var points) && IsRuleName(fields[1]))
            {
                symbols.Add(new SpamSymbol(fields[1], points, fields.Length > 2 ? fields[2] : null));
            }
            else if (symbols.Count > 0 && char.IsWhiteSpace(line[0]))
            {
                var last = symbols[^1];
                symbols[^1] = last with { Description = (last.Description is null ? "" : last.Description + " ") + line.Trim() };
            }
            else
            {
                break;
            }
        }

        return symbols;
    }

    private static bool IsRuleName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value);

    private static double Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value) && double.IsFinite(value)
            ? value
            : throw new SpamReplyException($"the reply has no numeric \"{name}\"");

    private static IReadOnlyList<SpamSymbol> Ordered(List<SpamSymbol> symbols) =>
        [.. symbols.OrderByDescending(s => s.Score).ThenBy(s => s.Name, StringComparer.Ordinal)];

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>Server text for an error message: control characters replaced, at most 200 characters.</summary>
    public static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text)
        {
            if (builder.Length == 200)
            {
                builder.Append('…');
                break;
            }

            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }
}
