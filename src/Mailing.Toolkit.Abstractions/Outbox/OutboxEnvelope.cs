namespace Mailing.Toolkit.Outbox;

/// <summary>
/// The text form an outbox stores an explicit <see cref="MailEnvelope"/> in: the reverse path on the first line
/// (empty for the null reverse path <c>&lt;&gt;</c>), then one recipient per line. Addresses cannot contain a line
/// break, so the form needs no escaping.
/// </summary>
public static class OutboxEnvelope
{
    /// <summary>Writes <paramref name="envelope"/> in the stored form.</summary>
    public static string Format(MailEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return (envelope.Sender?.Address ?? string.Empty) + "\n" + string.Join('\n', envelope.Recipients.Select(r => r.Address));
    }

    /// <summary>Reads an envelope written by <see cref="Format"/>.</summary>
    /// <exception cref="FormatException">The text is not in the stored form, or an address in it is invalid.</exception>
    public static MailEnvelope Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        if (lines.Length < 2)
            throw new FormatException("A stored envelope needs a reverse-path line and at least one recipient line.");
        try
        {
            var sender = lines[0].Length == 0 ? null : EmailAddress.Parse(lines[0]);
            return new MailEnvelope(sender, lines.Skip(1).Select(EmailAddress.Parse));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"A stored envelope has an invalid address: {ex.Message}", ex);
        }
    }
}
