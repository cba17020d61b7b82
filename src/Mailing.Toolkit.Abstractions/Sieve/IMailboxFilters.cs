namespace Mailing.Toolkit.Sieve;

/// <summary>
/// The server-side filters of an account, kept through ManageSieve: an out-of-office reply and named rules, installed
/// without touching scripts the user wrote. The library keeps one active script of its own (<c>mailing-toolkit</c>)
/// that includes, in order, one script per rule (<c>mailing-toolkit.rule.NAME</c>), the vacation reply
/// (<c>mailing-toolkit.vacation</c>) and last the script that was active before (the user's own, left as it was).
/// When neither rules nor a vacation are left, the user's script is active again. The <c>account</c> argument of each
/// method acts for another account (see <see cref="IManageSieveClient.ConnectAsync"/>); null manages the login's own.
/// Changes to one account are not atomic against another writer of the same account at the same time.
/// </summary>
public interface IMailboxFilters
{
    /// <summary>Turns the out-of-office reply on, or replaces it.</summary>
    Task SetVacationAsync(VacationReply reply, string? account = null, CancellationToken cancellationToken = default);

    /// <summary>Turns the out-of-office reply off; nothing happens when there is none.</summary>
    Task ClearVacationAsync(string? account = null, CancellationToken cancellationToken = default);

    /// <summary>Adds a rule after the others, or replaces the rule of the same name where it stands.</summary>
    Task SetRuleAsync(SieveRule rule, string? account = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a rule; returns false when there was none of that name.</summary>
    Task<bool> RemoveRuleAsync(string name, string? account = null, CancellationToken cancellationToken = default);

    /// <summary>What is installed: the library's rules in order, whether a vacation reply is on, the user's own script and every script stored.</summary>
    Task<InstalledFilters> GetAsync(string? account = null, CancellationToken cancellationToken = default);
}

/// <summary>The filters of an account.</summary>
/// <param name="Rules">The names of the rules installed through <see cref="IMailboxFilters"/>, in the order they run.</param>
/// <param name="HasVacation">Whether an out-of-office reply is on.</param>
/// <param name="UserScript">The script that was active before the library's (kept and run after the library's rules), if any.</param>
/// <param name="Scripts">Every script stored for the account.</param>
public sealed record InstalledFilters(IReadOnlyList<string> Rules, bool HasVacation, string? UserScript, IReadOnlyList<SieveScriptInfo> Scripts);
