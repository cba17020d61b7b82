using MimeKit;

namespace Mailing.Toolkit.Testing;

/// <summary>A message captured by the in-memory sender.</summary>
public sealed class SentMail
{
    internal SentMail(MimeMessage message, MailEnvelope envelope, string? senderName, DateTimeOffset sentAt)
    {
        Message = message;
        Envelope = envelope;
        SenderName = senderName;
        SentAt = sentAt;
    }

    /// <summary>The message as a server would have received it (a parsed copy; attachments readable).</summary>
    public MimeMessage Message { get; }

    /// <summary>The envelope it was sent with, after outgoing filters.</summary>
    public MailEnvelope Envelope { get; }

    /// <summary>The key of the sender it went through, or <see langword="null"/> for the default one.</summary>
    public string? SenderName { get; }

    /// <summary>When it was sent, from the container's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset SentAt { get; }

    /// <summary>The subject.</summary>
    public string Subject => Message.Subject ?? string.Empty;

    /// <summary>The plain-text body, if any.</summary>
    public string? TextBody => Message.TextBody;

    /// <summary>The HTML body, if any.</summary>
    public string? HtmlBody => Message.HtmlBody;

    /// <summary>The envelope recipients' addresses.</summary>
    public IReadOnlyList<string> Recipients => Envelope.Recipients.Select(r => r.Address).ToArray();

    /// <summary>Whether <paramref name="address"/> is an envelope recipient (case-insensitive).</summary>
    public bool WasSentTo(string address) => Envelope.Recipients.Any(r => string.Equals(r.Address, address, StringComparison.OrdinalIgnoreCase));

    /// <summary>A one-line description used in assertion messages.</summary>
    public override string ToString() => $"'{Subject}' to {string.Join(", ", Recipients)}";
}

/// <summary>
/// Everything sent through the in-memory sender, with the assertions a test wants:
/// <code>
/// var mail = outbox.Single(m => m.WasSentTo("alice@example.com"));
/// Assert.Contains("Welcome", mail.Subject);
/// </code>
/// Register with <c>services.AddMailing().AddInMemorySender()</c> and resolve <see cref="InMemoryOutbox"/>.
/// Thread-safe.
/// </summary>
public sealed class InMemoryOutbox
{
    private readonly Lock gate = new();
    private readonly List<SentMail> messages = [];

    /// <summary>A snapshot of every message sent, oldest first.</summary>
    public IReadOnlyList<SentMail> Messages
    {
        get
        {
            lock (gate)
                return messages.ToArray();
        }
    }

    /// <summary>How many messages were sent.</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return messages.Count;
        }
    }

    /// <summary>The messages whose envelope includes <paramref name="address"/>.</summary>
    public IReadOnlyList<SentMail> SentTo(string address) => Where(m => m.WasSentTo(address));

    /// <summary>The messages whose subject contains <paramref name="text"/> (ordinal, case-insensitive).</summary>
    public IReadOnlyList<SentMail> WithSubject(string text) => Where(m => m.Subject.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>The messages matching <paramref name="predicate"/>.</summary>
    public IReadOnlyList<SentMail> Where(Func<SentMail, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Messages.Where(predicate).ToArray();
    }

    /// <summary>The only message matching <paramref name="predicate"/> (or the only message at all).</summary>
    /// <exception cref="InvalidOperationException">None or several matched; the message lists what was sent.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "Mirrors LINQ's Single, which test authors know.")]
    public SentMail Single(Func<SentMail, bool>? predicate = null)
    {
        var all = Messages;
        var matches = predicate is null ? all : all.Where(predicate).ToArray();
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidOperationException(
                $"Expected exactly one matching message but found {matches.Count}. Sent: {(all.Count == 0 ? "nothing" : string.Join("; ", all))}.");
    }

    /// <summary>Forgets every message.</summary>
    public void Clear()
    {
        lock (gate)
            messages.Clear();
    }

    internal void Add(SentMail mail)
    {
        lock (gate)
            messages.Add(mail);
    }
}
