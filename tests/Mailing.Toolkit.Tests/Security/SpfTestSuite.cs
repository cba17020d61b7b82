using System.Net;
using Mailing.Toolkit.Security;
using YamlDotNet.RepresentationModel;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>
/// The RFC 7208 test suite (TestData/auth/spf/rfc7208-tests.yml, from pyspf): its YAML documents, each a zone and
/// the tests run against it, loaded the way the suite's own driver loads them.
/// </summary>
/// <remarks>
/// How the zone data becomes DNS answers, following the suite's header comments and pyspf's driver:
/// <list type="bullet">
/// <item>Type SPF entries are never queried by an RFC 7208 implementation; the driver copies them to TXT unless the
/// name has TXT entries of its own (so "both", "spfonly" and the "Selecting records" cases test that SPF-type records
/// are ignored). <c>TXT: NONE</c> stands for "no TXT record" and only stops that copy.</item>
/// <item>A list value of TXT/SPF is one record of several character-strings, joined without a separator; an empty
/// list is a record with no strings.</item>
/// <item><c>TIMEOUT</c> makes queries of the name time out, except for the types listed before it: those answer
/// (spftimeout.example.net answers TXT). A name where nothing comes before it is <see cref="InMemoryDnsZone.AddTimeout"/>.</item>
/// <item>MX <c>[pref, name]</c> becomes "pref name"; an empty name is the null MX "pref .".</item>
/// <item>CNAME: <see cref="InMemoryDnsZone"/> has no CNAME type, so the alias is given the records of the name the
/// chain ends at, as a recursive resolver answers; a chain that loops answers as a server failure (timeout) does.</item>
/// </list>
/// </remarks>
internal sealed class SpfTestSuite
{
    public static readonly string SuitePath = Path.Combine(AppContext.BaseDirectory, "TestData", "auth", "spf", "rfc7208-tests.yml");

    private static readonly Lazy<SpfTestSuite> Loaded = new(() => Load(SuitePath));

    private SpfTestSuite(IReadOnlyList<SpfSuiteCase> cases) => Cases = cases;

    public static SpfTestSuite Instance => Loaded.Value;

    public IReadOnlyList<SpfSuiteCase> Cases { get; }

    public SpfSuiteCase Find(string id) => Cases.Single(c => c.Id == id);

    private static SpfTestSuite Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        var cases = new List<SpfSuiteCase>();
        foreach (var document in stream.Documents)
        {
            var root = (YamlMappingNode)document.RootNode;
            var scenario = Scalar(root, "description") ?? "?";
            var resolver = BuildZone((YamlMappingNode)root.Children[new YamlScalarNode("zonedata")]);
            foreach (var (key, value) in (YamlMappingNode)root.Children[new YamlScalarNode("tests")])
            {
                var test = (YamlMappingNode)value;
                var results = test.Children[new YamlScalarNode("result")] switch
                {
                    YamlSequenceNode list => list.Children.Select(n => ((YamlScalarNode)n).Value!).ToArray(),
                    YamlScalarNode one => [one.Value!],
                    var other => throw new InvalidDataException($"unexpected result node {other}"),
                };
                cases.Add(new SpfSuiteCase(
                    $"{scenario}: {((YamlScalarNode)key).Value}",
                    Scalar(test, "host")!,
                    Scalar(test, "mailfrom") ?? "",
                    Scalar(test, "helo") ?? "",
                    [.. results.Select(ParseResult)],
                    Scalar(test, "explanation"),
                    Scalar(test, "spec"),
                    resolver));
            }
        }

        return new SpfTestSuite(cases);
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    private static AuthenticationStatus ParseResult(string text) => text switch
    {
        "none" => AuthenticationStatus.None,
        "neutral" => AuthenticationStatus.Neutral,
        "pass" => AuthenticationStatus.Pass,
        "fail" => AuthenticationStatus.Fail,
        "softfail" => AuthenticationStatus.SoftFail,
        "temperror" => AuthenticationStatus.TempError,
        "permerror" => AuthenticationStatus.PermError,
        _ => throw new InvalidDataException($"unknown SPF result '{text}' in the suite"),
    };

    private static IDnsResolver BuildZone(YamlMappingNode zonedata)
    {
        var records = new Dictionary<string, List<(DnsRecordType Type, string Value)>>(StringComparer.OrdinalIgnoreCase);
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var timeouts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var answeredDespiteTimeout = new HashSet<(string, DnsRecordType)>();

        foreach (var (nameNode, entriesNode) in zonedata)
        {
            var name = ((YamlScalarNode)nameNode).Value!.TrimEnd('.');
            var list = records[name] = [];
            var entries = ((YamlSequenceNode)entriesNode).Children;
            var hasTxt = entries.OfType<YamlMappingNode>().Any(m => m.Children.Keys.Any(k => ((YamlScalarNode)k).Value == "TXT"));
            var generatedTxt = new List<string>();
            foreach (var entry in entries)
            {
                if (entry is YamlScalarNode { Value: "TIMEOUT" })
                {
                    timeouts.Add(name);
                    foreach (var (type, _) in list)
                        answeredDespiteTimeout.Add((name.ToLowerInvariant(), type));
                    continue;
                }

                foreach (var (typeNode, value) in (YamlMappingNode)entry)
                {
                    var type = ((YamlScalarNode)typeNode).Value!;
                    switch (type)
                    {
                        case "TXT" when value is YamlScalarNode { Value: "NONE" }:
                            break;
                        case "TXT":
                            list.Add((DnsRecordType.Txt, TextRecord(value)));
                            break;
                        case "SPF":
                            if (!hasTxt)
                                generatedTxt.Add(TextRecord(value));
                            break;
                        case "A":
                            list.Add((DnsRecordType.A, ((YamlScalarNode)value).Value!));
                            break;
                        case "AAAA":
                            list.Add((DnsRecordType.Aaaa, ((YamlScalarNode)value).Value!));
                            break;
                        case "PTR":
                            list.Add((DnsRecordType.Ptr, ((YamlScalarNode)value).Value!.TrimEnd('.')));
                            break;
                        case "MX":
                            {
                                var parts = ((YamlSequenceNode)value).Children.Select(n => ((YamlScalarNode)n).Value!).ToArray();
                                var host = parts[1].TrimEnd('.');
                                list.Add((DnsRecordType.Mx, $"{parts[0]} {(host.Length == 0 ? "." : host)}"));
                                break;
                            }

                        case "CNAME":
                            aliases[name] = ((YamlScalarNode)value).Value!.TrimEnd('.');
                            break;
                        default:
                            throw new InvalidDataException($"the suite's zone uses record type {type}, which this loader does not know");
                    }
                }
            }

            // The driver appends the copied SPF records after everything else, so a TIMEOUT before them covers TXT.
            list.AddRange(generatedTxt.Select(t => (DnsRecordType.Txt, t)));
        }

        foreach (var alias in aliases.Keys)
        {
            var target = alias;
            var hops = 0;
            while (aliases.TryGetValue(target, out var next) && hops++ < 8)
                target = next;
            if (aliases.ContainsKey(target))
                timeouts.Add(alias); // a CNAME loop: a recursive resolver answers SERVFAIL
            else if (records.TryGetValue(target, out var targetRecords))
                records[alias].AddRange(targetRecords);
        }

        var zone = new InMemoryDnsZone();
        foreach (var (name, list) in records)
        {
            foreach (var (type, value) in list)
                zone.Add(name, type, value);
        }

        var partial = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in timeouts)
        {
            if (answeredDespiteTimeout.Any(a => a.Item1.Equals(name, StringComparison.OrdinalIgnoreCase)))
                partial.Add(name);
            else
                zone.AddTimeout(name);
        }

        return partial.Count == 0 ? zone : new PartialTimeoutResolver(zone, partial, answeredDespiteTimeout);
    }

    /// <summary>TXT: a string, or a list of character-strings joined without a separator (RFC 7208 section 3.3).</summary>
    private static string TextRecord(YamlNode value) => value switch
    {
        YamlScalarNode scalar => scalar.Value ?? "",
        YamlSequenceNode list => string.Concat(list.Children.Select(n => ((YamlScalarNode)n).Value)),
        _ => throw new InvalidDataException($"unexpected TXT value {value}"),
    };

    /// <summary>A TIMEOUT after some records: those types answer, every other type of the name times out.</summary>
    private sealed class PartialTimeoutResolver(InMemoryDnsZone zone, HashSet<string> names, HashSet<(string, DnsRecordType)> answered) : IDnsResolver
    {
        public ValueTask<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
        {
            var key = name.TrimEnd('.').ToLowerInvariant();
            return names.Contains(key) && !answered.Contains((key, type))
                ? ValueTask.FromResult(DnsAnswer.Failed($"query for {key} timed out"))
                : zone.QueryAsync(name, type, cancellationToken);
        }
    }
}

/// <summary>One test of the suite.</summary>
internal sealed record SpfSuiteCase(
    string Id,
    string Host,
    string MailFrom,
    string Helo,
    IReadOnlyList<AuthenticationStatus> Results,
    string? Explanation,
    string? Spec,
    IDnsResolver Resolver)
{
    public IPAddress Address => IPAddress.Parse(Host);

    public override string ToString() => Id;
}
