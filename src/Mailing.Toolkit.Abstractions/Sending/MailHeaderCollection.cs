using System.Collections;

namespace Mailing.Toolkit;

/// <summary>A custom header of a <see cref="MailMessage"/>.</summary>
/// <param name="Name">The field name, for example <c>X-Campaign</c>.</param>
/// <param name="Value">The unencoded value; non-ASCII text is encoded when the message is written.</param>
public readonly record struct MailHeader(string Name, string Value);

/// <summary>
/// The custom headers of a <see cref="MailMessage"/>, validated as they are added: names must be
/// RFC 5322 field names, values must not contain CR, LF or NUL, and headers that
/// <see cref="MailMessage"/> models itself (From, To, Subject, Message-ID, ...) must be set there.
/// </summary>
public sealed class MailHeaderCollection : IEnumerable<MailHeader>
{
    private static readonly HashSet<string> Modelled = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID",
        "List-Unsubscribe", "List-Unsubscribe-Post", "Priority", "X-Priority", "Importance",
    };

    private readonly List<MailHeader> headers = [];

    /// <summary>The number of headers.</summary>
    public int Count => headers.Count;

    /// <summary>Adds a header; the same name may be added more than once.</summary>
    /// <exception cref="ArgumentException">The name is not a valid field name, is modelled by <see cref="MailMessage"/>, or the value contains CR, LF or NUL.</exception>
    public void Add(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in name)
        {
            if (c <= ' ' || c >= 127 || c == ':')
                throw new ArgumentException($"Header name '{name.ReplaceLineEndings(" ")}' is not a valid field name (printable ASCII without ':' or spaces).", nameof(name));
        }

        if (Modelled.Contains(name))
            throw new ArgumentException($"Header '{name}' is set through a MailMessage property, not through Headers.", nameof(name));

        HeaderSafety.EnsureSingleLine(value, $"Header '{name}' value", nameof(value));
        headers.Add(new MailHeader(name, value));
    }

    /// <summary>Removes every header with this name; returns whether any was removed.</summary>
    public bool Remove(string name) => headers.RemoveAll(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) > 0;

    /// <inheritdoc/>
    public IEnumerator<MailHeader> GetEnumerator() => headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
