using System.Collections.Concurrent;
using System.Text.Json;

namespace Mailing.Toolkit.Security;

/// <summary>
/// An <see cref="IDnsResolver"/> that answers from records held in memory: for tests, and for checking a message
/// offline (<c>mailing check --dns zone.json</c>). A name with records, or with a name below it, exists; any other
/// name does not (NXDOMAIN). Thread-safe.
/// </summary>
public sealed class InMemoryDnsZone : IDnsResolver
{
    /// <summary>The key of the zone JSON that makes every query for a name time out.</summary>
    public const string TimeoutKey = "TIMEOUT";

    private readonly ConcurrentDictionary<(string Name, DnsRecordType Type), List<string>> records = new();
    private readonly ConcurrentDictionary<string, byte> names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> timeouts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The TTL given with every answer. Five minutes unless set.</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Reads a zone from JSON: an object of names, each an object of record types (<c>A</c>, <c>AAAA</c>, <c>MX</c>,
    /// <c>TXT</c>, <c>PTR</c>) to arrays of strings, for example
    /// <c>{"example.com": {"TXT": ["v=spf1 -all"], "MX": ["10 mx.example.com"]}}</c>. A type <c>TIMEOUT</c> (any value)
    /// makes every query for that name a temporary failure.
    /// </summary>
    /// <exception cref="FormatException">The JSON is not of that shape; the message names the entry.</exception>
    public static InMemoryDnsZone FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"The DNS zone is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException("The DNS zone must be a JSON object of names.");
            var zone = new InMemoryDnsZone();
            foreach (var name in document.RootElement.EnumerateObject())
            {
                if (name.Value.ValueKind != JsonValueKind.Object)
                    throw new FormatException($"DNS zone entry '{name.Name}' must be an object of record types.");
                foreach (var type in name.Value.EnumerateObject())
                {
                    if (string.Equals(type.Name, TimeoutKey, StringComparison.OrdinalIgnoreCase))
                    {
                        zone.AddTimeout(name.Name);
                        continue;
                    }

                    if (!TryParseType(type.Name, out var recordType))
                        throw new FormatException($"DNS zone entry '{name.Name}' has an unknown record type '{type.Name}' (use A, AAAA, MX, TXT, PTR or TIMEOUT).");
                    if (type.Value.ValueKind != JsonValueKind.Array)
                        throw new FormatException($"DNS zone entry '{name.Name}' {type.Name} must be an array of strings.");
                    foreach (var value in type.Value.EnumerateArray())
                    {
                        if (value.ValueKind != JsonValueKind.String)
                            throw new FormatException($"DNS zone entry '{name.Name}' {type.Name} must hold strings only.");
                        zone.Add(name.Name, recordType, value.GetString()!);
                    }
                }
            }

            return zone;
        }
    }

    /// <summary>Adds one record.</summary>
    /// <param name="name">The owner name; case and a trailing dot do not matter.</param>
    /// <param name="type">The record type.</param>
    /// <param name="value">The record in presentation form (see <see cref="DnsAnswer"/>).</param>
    /// <returns>This zone, to chain calls.</returns>
    public InMemoryDnsZone Add(string name, DnsRecordType type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var key = Normalize(name);
        var list = records.GetOrAdd((key, type), _ => []);
        lock (list)
            list.Add(value);
        MarkExisting(key);
        return this;
    }

    /// <summary>Makes every query for <paramref name="name"/> a temporary failure, as a server that never answers.</summary>
    /// <returns>This zone, to chain calls.</returns>
    public InMemoryDnsZone AddTimeout(string name)
    {
        var key = Normalize(name);
        timeouts[key] = 0;
        MarkExisting(key);
        return this;
    }

    /// <inheritdoc />
    public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var key = Normalize(name);
        if (timeouts.ContainsKey(key))
            return ValueTask.FromResult(DnsAnswer.Failed($"query for {key} timed out"));
        if (records.TryGetValue((key, type), out var list))
        {
            string[] copy;
            lock (list)
                copy = [.. list];
            return ValueTask.FromResult(DnsAnswer.Found(copy, TimeToLive));
        }

        return ValueTask.FromResult(names.ContainsKey(key) ? DnsAnswer.NoData(TimeToLive) : DnsAnswer.NotFound(TimeToLive));
    }

    private void MarkExisting(string name)
    {
        // The name and every name above it exist (an empty non-terminal answers NODATA, not NXDOMAIN).
        for (var current = name; current.Length > 0;)
        {
            names[current] = 0;
            var dot = current.IndexOf('.', StringComparison.Ordinal);
            current = dot < 0 ? "" : current[(dot + 1)..];
        }
    }

    private static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.TrimEnd('.').ToLowerInvariant();
    }

    private static bool TryParseType(string text, out DnsRecordType type)
    {
        switch (text.ToUpperInvariant())
        {
            case "A": type = DnsRecordType.A; return true;
            case "AAAA": type = DnsRecordType.Aaaa; return true;
            case "MX": type = DnsRecordType.Mx; return true;
            case "TXT": type = DnsRecordType.Txt; return true;
            case "PTR": type = DnsRecordType.Ptr; return true;
            default: type = default; return false;
        }
    }
}
