using MimeKit;

namespace Mailing.Toolkit.Sieve;

/// <summary>
/// An out-of-office reply the mail server sends (Sieve <c>vacation</c>, RFC 5230): at most once per sender per
/// <see cref="Days"/> (or <see cref="Interval"/>), never to mailing lists, bounces or other automatic mail (the server
/// applies RFC 3834). One-line values (subject, from, addresses, handle) are refused when they hold a line break.
/// </summary>
public sealed class VacationReply
{
    /// <summary>The reply's text (plain text; may span lines). Required.</summary>
    public required string Body { get; init; }

    /// <summary>An HTML version of <see cref="Body"/>: the reply is then sent as multipart/alternative (<c>:mime</c>).</summary>
    public string? HtmlBody { get; init; }

    /// <summary>The reply's subject; the server's default (<c>Auto: </c> plus the original subject) when null.</summary>
    public string? Subject { get; init; }

    /// <summary>The reply's From address; the account's own address when null.</summary>
    public string? From { get; init; }

    /// <summary>
    /// The account's other addresses: mail sent only to one of these (not to the account's own address) is answered
    /// too. Without them the server answers only mail addressed to the account itself.
    /// </summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>Days before the same sender is answered again, 1 to 365 (the server clamps it to its own limits); 7 when neither this nor <see cref="Interval"/> is set.</summary>
    public int? Days
    {
        get;
        init => field = value is null or (>= 1 and <= 365) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Vacation days must be 1 to 365.");
    }

    /// <summary>The same as <see cref="Days"/>, 1 second to 365 days (extension <c>vacation-seconds</c>, RFC 6131); not with <see cref="Days"/>.</summary>
    public TimeSpan? Interval
    {
        get;
        init => field = value is null || (value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromDays(365)) ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "A vacation interval must be 1 second to 365 days.");
    }

    /// <summary>Replies with the same handle share one "already answered" list; by default the server derives one from the reply's content.</summary>
    public string? Handle { get; init; }

    internal void Write(SieveWriter writer)
    {
        if (string.IsNullOrWhiteSpace(Body))
            throw new ArgumentException("A vacation reply needs a Body.");
        if (Days is not null && Interval is not null)
            throw new ArgumentException("Set Days or Interval of a vacation reply, not both.");
        writer.Require("vacation");
        var command = new List<string> { "vacation" };
        if (Interval is { } interval)
        {
            writer.Require("vacation-seconds");
            command.Add(":seconds " + ((long)interval.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            command.Add(":days " + (Days ?? 7).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (Subject is not null)
            command.Add(":subject " + SieveWriter.String(Subject, "The vacation subject"));
        if (From is not null)
            command.Add(":from " + SieveWriter.String(Address(From, nameof(From)), "The vacation From address"));
        if (Addresses.Count > 0)
            command.Add(":addresses " + SieveWriter.List(Addresses.Select(a => Address(a, nameof(Addresses))).ToArray(), "A vacation address"));
        if (Handle is not null)
            command.Add(":handle " + SieveWriter.String(Handle, "The vacation handle"));
        if (HtmlBody is not null)
            command.Add(":mime");
        command.Add(HtmlBody is null ? SieveWriter.Text(Body, "The vacation body") : SieveWriter.Text(Mime(Body, HtmlBody), "The vacation body"));
        writer.Line(string.Join(' ', command) + ";");
    }

    private static string Address(string value, string field)
    {
        if (!MailboxAddress.TryParse(value, out var mailbox) || string.IsNullOrEmpty(mailbox.Address) || !mailbox.Address.Contains('@', StringComparison.Ordinal))
            throw new ArgumentException($"'{value}' is not an email address.", field);
        return value.Trim();
    }

    /// <summary>The two bodies as one multipart/alternative entity, quoted-printable so the script stays 7-bit.</summary>
    private static string Mime(string text, string html)
    {
        var alternative = new MultipartAlternative
        {
            new TextPart("plain") { Text = text, ContentTransferEncoding = ContentEncoding.QuotedPrintable },
            new TextPart("html") { Text = html, ContentTransferEncoding = ContentEncoding.QuotedPrintable },
        };
        foreach (var part in alternative.OfType<TextPart>())
            part.ContentType.Charset = "utf-8";
        using var buffer = new MemoryStream();
        alternative.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
