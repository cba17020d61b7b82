
namespace Mailing.Toolkit.Sending;

/// <summary>Settings of the Maildir sender, bound from <c>Mailing:Maildir</c>.</summary>
public sealed class MaildirSenderOptions
{
    /// <summary>The Maildir folder (it gets tmp/, new/ and cur/); created when missing. Relative paths resolve against the current directory.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// Whether each message is flushed to disk (fsync) before it is renamed into new/, so a crash or power
    /// loss never leaves a partial message where a reader looks. On by default.
    /// </summary>
    public bool Durable { get; set; } = true;
}
