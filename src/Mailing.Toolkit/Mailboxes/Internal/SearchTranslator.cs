using MailKit.Search;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>
/// Turns a <see cref="MailSearch"/> into MailKit's <see cref="SearchQuery"/>, which sends every value as an IMAP
/// quoted string or literal. Values are checked again here: the search records have public constructors and
/// <c>with</c>, so a value with CR, LF or NUL can reach this point without the factory methods' check.
/// </summary>
internal static class SearchTranslator
{
    public static SearchQuery Translate(MailSearch search, string paramName = "query") => search switch
    {
        MailSearch.HeaderSearch header => Header(FieldName(header.Name, paramName), Value(header.Text, paramName)),
        MailSearch.BodySearch body => body.IncludeHeaders ? SearchQuery.MessageContains(Value(body.Text, paramName)) : SearchQuery.BodyContains(Value(body.Text, paramName)),
        MailSearch.FlagSearch { Flags: MailFlags.None } flags => flags.Set ? SearchQuery.All : SearchQuery.Not(SearchQuery.All),
        MailSearch.FlagSearch flags => flags.Set
            ? SearchQuery.HasFlags(ImapMailboxManager.ToMessageFlags(flags.Flags))
            : SearchQuery.NotFlags(ImapMailboxManager.ToMessageFlags(flags.Flags)),
        MailSearch.DateSearch date => date.OnOrAfter
            ? SearchQuery.DeliveredAfter(date.Date.ToDateTime(TimeOnly.MinValue))
            : SearchQuery.DeliveredBefore(date.Date.ToDateTime(TimeOnly.MinValue)),
        MailSearch.AndSearch and => SearchQuery.And(Translate(Required(and.Left, paramName), paramName), Translate(Required(and.Right, paramName), paramName)),
        MailSearch.OrSearch or => SearchQuery.Or(Translate(Required(or.Left, paramName), paramName), Translate(Required(or.Right, paramName), paramName)),
        MailSearch.NotSearch not => SearchQuery.Not(Translate(Required(not.Inner, paramName), paramName)),
        _ => throw new ArgumentException($"Unknown search {search.GetType().Name}.", paramName),
    };

    private static SearchQuery Header(string name, string text) => name.ToUpperInvariant() switch
    {
        "FROM" => SearchQuery.FromContains(text),
        "TO" => SearchQuery.ToContains(text),
        "CC" => SearchQuery.CcContains(text),
        "SUBJECT" => SearchQuery.SubjectContains(text),
        _ => SearchQuery.HeaderContains(name, text),
    };

    private static MailSearch Required(MailSearch? search, string paramName) =>
        search ?? throw new ArgumentException("A search condition is null.", paramName);

    private static string Value(string? text, string paramName)
    {
        ArgumentNullException.ThrowIfNull(text, paramName);
        return HeaderSafety.EnsureSingleLine(text, "Search value", paramName);
    }

    /// <summary>A header field name is printable ASCII without ':' (RFC 5322 section 3.6.8).</summary>
    private static string FieldName(string? name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        if (!name.All(c => c is > ' ' and < '\x7f' and not ':'))
            throw new ArgumentException($"'{name.ReplaceLineEndings(" ")}' is not a header field name: printable ASCII without spaces or ':'.", paramName);
        return name;
    }
}
