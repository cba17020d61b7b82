namespace Mailing.Toolkit.Sieve;

/// <summary>
/// Opens sessions with a ManageSieve server (RFC 5804), the protocol that stores an account's Sieve filters on its
/// mail server. TLS is required by default (STARTTLS on port 4190) and credentials never cross an unencrypted
/// connection. A session is one connection: use it from one caller at a time, and dispose it to log out.
/// </summary>
public interface IManageSieveClient
{
    /// <summary>
    /// Connects, secures and logs in. With <paramref name="account"/>, the configured login acts for that account
    /// (SASL PLAIN with an authorization identity: the server must allow the login to do so, as a Dovecot master user
    /// may); without it, the session manages the configured login's own scripts.
    /// </summary>
    /// <exception cref="ManageSieveException">The server refused the login, is not a ManageSieve server, or cannot be reached.</exception>
    Task<IManageSieveSession> ConnectAsync(string? account = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// One logged-in ManageSieve connection. Script names are UTF-8 text without control characters (RFC 5804 1.6)
/// and are always sent as literals, as is script content, so no name or script can end a command early. A
/// command the server refuses throws a <see cref="ManageSieveException"/> with its response code.
/// </summary>
public interface IManageSieveSession : IAsyncDisposable
{
    /// <summary>What the server announced after TLS was established.</summary>
    ManageSieveCapabilities Capabilities { get; }

    /// <summary>The account's scripts, and which one is active (at most one).</summary>
    Task<IReadOnlyList<SieveScriptInfo>> ListScriptsAsync(CancellationToken cancellationToken = default);

    /// <summary>The content of a script; a missing one throws with response code <c>NONEXISTENT</c>.</summary>
    Task<string> GetScriptAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a script, replacing one of the same name (the active one stays active). The server checks it first:
    /// an invalid script throws with the server's error and nothing is stored; warnings are returned.
    /// </summary>
    Task<string?> PutScriptAsync(string name, string content, CancellationToken cancellationToken = default);

    /// <summary>Asks the server whether a script is valid, without storing it.</summary>
    Task<SieveCheckResult> CheckScriptAsync(string content, CancellationToken cancellationToken = default);

    /// <summary>Makes a stored script the active one (the one the server runs on delivery).</summary>
    Task SetActiveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Deactivates whichever script is active: delivery runs no filter of this account.</summary>
    Task DeactivateAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a script; the active one cannot be deleted (response code <c>ACTIVE</c>): deactivate it first.</summary>
    Task DeleteScriptAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Renames a script (an active one stays active).</summary>
    Task RenameScriptAsync(string name, string newName, CancellationToken cancellationToken = default);

    /// <summary>Whether a script of <paramref name="size"/> bytes under <paramref name="name"/> would fit the account's quota.</summary>
    Task<bool> HaveSpaceAsync(string name, long size, CancellationToken cancellationToken = default);
}

/// <summary>A script stored on the server.</summary>
/// <param name="Name">Its name.</param>
/// <param name="IsActive">Whether it is the one delivery runs.</param>
public sealed record SieveScriptInfo(string Name, bool IsActive);

/// <summary>The server's verdict on a script (CHECKSCRIPT).</summary>
/// <param name="IsValid">Whether the server would accept it.</param>
/// <param name="Message">The server's error (when not valid) or warnings (when valid), if it sent any.</param>
public sealed record SieveCheckResult(bool IsValid, string? Message);

/// <summary>What a ManageSieve server announced (RFC 5804 1.7).</summary>
public sealed class ManageSieveCapabilities
{
    /// <summary>The server's name and version (<c>IMPLEMENTATION</c>).</summary>
    public string? Implementation { get; init; }

    /// <summary>The Sieve extensions scripts may require (<c>SIEVE</c>), for example <c>fileinto</c> and <c>vacation</c>.</summary>
    public IReadOnlySet<string> SieveExtensions { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The SASL mechanisms offered now (<c>SASL</c>; servers offer them only after STARTTLS).</summary>
    public IReadOnlySet<string> SaslMechanisms { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the server offers STARTTLS.</summary>
    public bool StartTls { get; init; }

    /// <summary>The most redirects a script may do for one message (<c>MAXREDIRECTS</c>), when announced.</summary>
    public int? MaxRedirects { get; init; }

    /// <summary>The URI schemes of the <c>enotify</c> extension (<c>NOTIFY</c>).</summary>
    public IReadOnlySet<string> NotifyMethods { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The protocol version (<c>VERSION</c>, 1.0 for RFC 5804).</summary>
    public string? Version { get; init; }

    /// <summary>Whether the script requires an extension this server supports.</summary>
    public bool Supports(string extension) => SieveExtensions.Contains(extension);
}
