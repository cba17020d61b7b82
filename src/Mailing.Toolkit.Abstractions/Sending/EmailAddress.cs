using System.Diagnostics.CodeAnalysis;
using MimeKit;

namespace Mailing.Toolkit;

/// <summary>
/// A single mailbox: an address with an optional display name, parsed with MimeKit's RFC 5322 rules.
/// </summary>
/// <remarks>
/// The address is never split on the first <c>@</c>: <c>"a@evil x"@internal.test</c> belongs to
/// <c>internal.test</c>. CR, LF and NUL are rejected in both the name and the address, so an address
/// can never inject a header or an SMTP command.
/// </remarks>
public sealed class EmailAddress : IEquatable<EmailAddress>
{
    private static readonly ParserOptions StrictParser = CreateStrictParser();

    private readonly MailboxAddress mailbox;
    private string? localPart;
    private string? domain;

    /// <summary>Creates an address after validating it.</summary>
    /// <param name="address">The addr-spec, for example <c>alice@example.com</c>.</param>
    /// <param name="name">The display name, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The address is not a single valid mailbox, or a value contains CR, LF or NUL.</exception>
    public EmailAddress(string address, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        HeaderSafety.EnsureSingleLine(address, "Email address", nameof(address));
        if (name is not null)
            HeaderSafety.EnsureSingleLine(name, "Display name", nameof(name));

        var parsed = ParseMailbox(address.Trim(), nameof(address));
        if (parsed.Name is { Length: > 0 })
            throw new ArgumentException($"'{address}' contains a display name; pass the name separately or use EmailAddress.Parse.", nameof(address));

        Name = string.IsNullOrWhiteSpace(name) ? null : name;
        mailbox = new MailboxAddress(Name, parsed.Address);
    }

    private EmailAddress(MailboxAddress mailbox)
    {
        this.mailbox = mailbox;
        Name = string.IsNullOrWhiteSpace(mailbox.Name) ? null : mailbox.Name;
    }

    /// <summary>The addr-spec (<c>local-part@domain</c>), without angle brackets or display name.</summary>
    public string Address => mailbox.Address;

    /// <summary>The display name, or <see langword="null"/> when there is none.</summary>
    public string? Name { get; }

    /// <summary>The local part, unquoted (for <c>"a@evil x"@internal.test</c> it is <c>a@evil x</c>).</summary>
    public string LocalPart => localPart ??= MimeKit.Utils.MimeUtils.Unquote(mailbox.LocalPart);

    /// <summary>The domain the address belongs to.</summary>
    public string Domain => domain ??= mailbox.Domain;

    /// <summary>
    /// Parses one mailbox in any RFC 5322 form: <c>alice@example.com</c>, <c>Alice &lt;alice@example.com&gt;</c>,
    /// <c>"Smith, Alice" &lt;alice@example.com&gt;</c> or an encoded-word display name.
    /// </summary>
    /// <exception cref="ArgumentException">The text is not exactly one valid mailbox, or contains CR, LF or NUL.</exception>
    public static EmailAddress Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        HeaderSafety.EnsureSingleLine(text, "Email address", nameof(text));
        return new EmailAddress(ParseMailbox(text.Trim(), nameof(text)));
    }

    /// <summary>Parses one mailbox, returning <see langword="false"/> instead of throwing when it is not valid.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out EmailAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || HeaderSafety.ContainsLineBreakOrNul(text))
            return false;
        if (!MailboxAddress.TryParse(StrictParser, text.Trim(), out var mailbox) || !IsComplete(mailbox))
            return false;
        address = new EmailAddress(mailbox);
        return true;
    }

    /// <summary>
    /// Creates an address from a MimeKit mailbox that MimeKit already parsed, without parsing it again:
    /// it must have a local part and a domain, and no CR, LF or NUL in its address or name.
    /// </summary>
    /// <exception cref="ArgumentException">The mailbox has no domain or contains CR, LF or NUL.</exception>
    public static EmailAddress FromMailbox(MailboxAddress mailbox)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        HeaderSafety.EnsureSingleLine(mailbox.Address, "Email address", nameof(mailbox));
        if (mailbox.Name is not null)
            HeaderSafety.EnsureSingleLine(mailbox.Name, "Display name", nameof(mailbox));
        if (!IsComplete(mailbox))
            throw new ArgumentException($"'{mailbox.Address}' is not a valid email address (expected local-part@domain).", nameof(mailbox));
        return new EmailAddress(mailbox);
    }

    /// <summary>Parses <paramref name="text"/> with <see cref="Parse(string)"/>.</summary>
    public static implicit operator EmailAddress(string text) => Parse(text);

    /// <summary>
    /// Returns a new MimeKit mailbox for this address, for example for the envelope of a MailKit send.
    /// It is a copy of the mailbox validated when this address was created, not parsed again; changing it
    /// does not change this address.
    /// </summary>
    public MailboxAddress ToMailboxAddress()
    {
        var copy = (MailboxAddress)mailbox.Clone();
        if (!string.Equals(copy.Name, Name, StringComparison.Ordinal))
            copy.Name = Name;
        return copy;
    }

    /// <summary>The address in header form, <c>Name &lt;address&gt;</c> or just the address.</summary>
    public override string ToString() => mailbox.ToString();

    /// <summary>Two addresses are equal when their addr-specs are equal, ignoring case; the display name does not count.</summary>
    public bool Equals(EmailAddress? other) =>
        other is not null && string.Equals(Address, other.Address, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EmailAddress);

    /// <summary>Compares the addr-specs, ignoring case, like <see cref="Equals(EmailAddress?)"/>.</summary>
    public static bool operator ==(EmailAddress? left, EmailAddress? right) => left is null ? right is null : left.Equals(right);

    /// <summary>The negation of <see cref="op_Equality"/>.</summary>
    public static bool operator !=(EmailAddress? left, EmailAddress? right) => !(left == right);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Address);

    private static MailboxAddress ParseMailbox(string text, string paramName)
    {
        if (!MailboxAddress.TryParse(StrictParser, text, out var mailbox) || !IsComplete(mailbox))
            throw new ArgumentException($"'{text}' is not a valid email address (expected local-part@domain).", paramName);
        return mailbox;
    }

    /// <summary>One addr-spec with a local part and a domain: the last '@' separates them, even in <c>"a@b"@c</c>.</summary>
    private static bool IsComplete(MailboxAddress mailbox)
    {
        var at = mailbox.Address.LastIndexOf('@');
        return mailbox.Route.Count == 0 && at > 0 && at < mailbox.Address.Length - 1;
    }

    private static ParserOptions CreateStrictParser()
    {
        var options = ParserOptions.Default.Clone();
        options.AddressParserComplianceMode = RfcComplianceMode.Strict;
        options.AllowAddressesWithoutDomain = false;
        return options;
    }
}
