namespace Mailing.Toolkit.Sieve;

/// <summary>
/// What a <see cref="SieveRule"/> does with a message. Made by the static methods; each adds the extension it needs
/// to the script's <c>require</c> line. Values are quoted when the script is written; one that would need a line
/// break (a folder, an address, a flag) is refused here.
/// </summary>
public abstract class SieveAction
{
    private protected SieveAction()
    {
    }

    /// <summary>Files the message in the inbox (cancels nothing: the implicit keep does the same).</summary>
    public static SieveAction Keep() => new Simple("keep;", null);

    /// <summary>Drops the message silently.</summary>
    public static SieveAction Discard() => new Simple("discard;", null);

    /// <summary>Ends the script: no later rule (nor the vacation reply or a hand-written script after the rules) runs.</summary>
    public static SieveAction Stop() => new Simple("stop;", null);

    /// <summary>
    /// Files the message in <paramref name="folder"/> (levels separated by <c>/</c> or the server's separator) instead of
    /// the inbox; with <paramref name="create"/> the folder is made when missing (extension <c>mailbox</c>), with
    /// <paramref name="copy"/> the inbox keeps it too (extension <c>copy</c>).
    /// </summary>
    public static SieveAction FileInto(string folder, bool create = false, bool copy = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var tags = (create ? ":create " : "") + (copy ? ":copy " : "");
        return new Simple($"fileinto {tags}{SieveWriter.String(folder, "The folder")};", ["fileinto", .. create ? ["mailbox"] : Array.Empty<string>(), .. copy ? ["copy"] : Array.Empty<string>()]);
    }

    /// <summary>Forwards the message to <paramref name="address"/>; with <paramref name="copy"/> it is kept as well (extension <c>copy</c>).</summary>
    public static SieveAction Redirect(string address, bool copy = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (!MimeKit.MailboxAddress.TryParse(address, out var mailbox) || mailbox.Address != address.Trim() || !mailbox.Address.Contains('@', StringComparison.Ordinal))
            throw new ArgumentException($"'{address}' is not a plain email address (local@domain).", nameof(address));
        return new Simple($"redirect {(copy ? ":copy " : "")}{SieveWriter.String(mailbox.Address, "The address")};", copy ? ["copy"] : null);
    }

    /// <summary>Refuses the message with <paramref name="reason"/> sent back to the sender (extension <c>reject</c>).</summary>
    public static SieveAction Reject(string reason) => new Simple($"reject {SieveWriter.Text(reason, "The reason")};", ["reject"]);

    /// <summary>Sets IMAP flags or keywords on the message as it is filed, for example <c>\Flagged</c> (extension <c>imap4flags</c>).</summary>
    public static SieveAction AddFlags(params string[] flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        if (flags.Length == 0 || flags.Any(f => string.IsNullOrWhiteSpace(f) || f.Contains(' ', StringComparison.Ordinal)))
            throw new ArgumentException("Give at least one flag, each without spaces (for example \\Flagged or $Label1).", nameof(flags));
        return new Simple($"addflag {SieveWriter.List(flags, "A flag")};", ["imap4flags"]);
    }

    /// <summary>Answers the sender with <paramref name="reply"/>, at most once per interval (extension <c>vacation</c>).</summary>
    public static SieveAction Vacation(VacationReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return new VacationAction(reply);
    }

    internal abstract void Write(SieveWriter writer);

    private sealed class Simple(string sieve, string[]? requires) : SieveAction
    {
        internal override void Write(SieveWriter writer)
        {
            foreach (var extension in requires ?? [])
                writer.Require(extension);
            writer.Line(sieve);
        }
    }

    private sealed class VacationAction(VacationReply reply) : SieveAction
    {
        internal override void Write(SieveWriter writer) => reply.Write(writer);
    }
}
