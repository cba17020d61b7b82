using System.Globalization;

namespace Mailing.Toolkit.Receiving.Internal;

/// <summary>
/// A Maildir file name: the unique name, then optionally <c>:2,</c> and the flags in ASCII order
/// (<c>1700000000.M1P2.host,S=1234,W=1260:2,RS</c>). The <c>,S=</c> size that Dovecot and Postfix
/// append belongs to the unique name.
/// </summary>
internal readonly record struct MaildirName(string UniqueName, string Flags)
{
    private const string InfoPrefix = ":2,";

    public long? Size
    {
        get
        {
            foreach (var part in UniqueName.Split(','))
            {
                if (part.StartsWith("S=", StringComparison.Ordinal) && long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                    return size;
            }

            return null;
        }
    }

    public static MaildirName Parse(string fileName)
    {
        var colon = fileName.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
            return new(fileName, string.Empty);
        var info = fileName[colon..];
        // Experimental ":1," info carries no flags; a rename writes the ":2," form.
        return new(fileName[..colon], info.StartsWith(InfoPrefix, StringComparison.Ordinal) ? info[InfoPrefix.Length..] : string.Empty);
    }

    public bool HasFlag(char flag) => Flags.Contains(flag, StringComparison.Ordinal);

    /// <summary>The file name with <paramref name="flag"/> added (or the flags unchanged when null), in the <c>:2,</c> form with sorted flags.</summary>
    public string WithFlag(char? flag)
    {
        var flags = flag is { } f && !HasFlag(f) ? Flags + f : Flags;
        var sorted = flags.ToCharArray();
        Array.Sort(sorted);
        return UniqueName + InfoPrefix + new string(sorted);
    }
}
