using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>
/// <see cref="IMailboxFilters"/> on ManageSieve. The library's active script only includes other scripts: one per
/// rule, the vacation reply, and last the script the user had active, so each part is checked by the server on its
/// own and the user's script is never rewritten. Every change stores the new parts first and switches the active
/// script last, so a refusal (an invalid rule, a quota) leaves the account filtering as it did before.
/// </summary>
internal sealed partial class SieveMailboxFilters(IManageSieveClient client, ILogger<SieveMailboxFilters> logger) : IMailboxFilters
{
    public const string ManagedScript = "mailing-toolkit";
    public const string VacationScript = "mailing-toolkit.vacation";
    public const string RulePrefix = "mailing-toolkit.rule.";

    public Task SetVacationAsync(VacationReply reply, string? account = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var script = new SieveScriptBuilder().Vacation(reply).Build();
        return ChangeAsync(account, state =>
        {
            state.Vacation = true;
            return ([(VacationScript, script)], []);
        }, cancellationToken);
    }

    public Task ClearVacationAsync(string? account = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(account, state =>
        {
            state.Vacation = false;
            return ([], [VacationScript]);
        }, cancellationToken);

    public Task SetRuleAsync(SieveRule rule, string? account = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var script = new SieveScriptBuilder().Add(rule).Build();
        return ChangeAsync(account, state =>
        {
            if (!state.Rules.Contains(rule.Name))
                state.Rules.Add(rule.Name);
            return ([(RulePrefix + rule.Name, script)], []);
        }, cancellationToken);
    }

    public async Task<bool> RemoveRuleAsync(string name, string? account = null, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckRuleName(name);
        var removed = false;
        await ChangeAsync(account, state =>
        {
            removed = state.Rules.Remove(name);
            return ([], removed ? [RulePrefix + name] : []);
        }, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    public async Task<InstalledFilters> GetAsync(string? account = null, CancellationToken cancellationToken = default)
    {
        var session = await client.ConnectAsync(account, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var scripts = await session.ListScriptsAsync(cancellationToken).ConfigureAwait(false);
            var state = await ReadAsync(session, scripts, cancellationToken).ConfigureAwait(false);
            return new InstalledFilters(state.Rules.ToArray(), state.Vacation, state.UserScript, scripts);
        }
    }

    private async Task ChangeAsync(string? account, Func<State, (List<(string Name, string Script)> Put, List<string> Delete)> change, CancellationToken cancellationToken)
    {
        var session = await client.ConnectAsync(account, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var scripts = await session.ListScriptsAsync(cancellationToken).ConfigureAwait(false);
            var state = await ReadAsync(session, scripts, cancellationToken).ConfigureAwait(false);
            var (put, delete) = change(state);
            foreach (var (name, script) in put)
            {
                var warnings = await session.PutScriptAsync(name, script, cancellationToken).ConfigureAwait(false);
                if (warnings is not null)
                    SieveFiltersLog.ScriptWarnings(logger, name, warnings);
            }

            var managedExists = scripts.Any(s => s.Name == ManagedScript);
            if (state.Rules.Count == 0 && !state.Vacation)
            {
                // Nothing of ours is left: the user's own script (if any) is the active one again.
                if (state.UserScript is { } user && scripts.Any(s => s.Name == user))
                    await session.SetActiveAsync(user, cancellationToken).ConfigureAwait(false);
                else if (scripts.Any(s => s.IsActive && IsOurs(s.Name)))
                    await session.DeactivateAsync(cancellationToken).ConfigureAwait(false);
                if (managedExists)
                    delete.Add(ManagedScript);
            }
            else
            {
                try
                {
                    await session.PutScriptAsync(ManagedScript, Render(state), cancellationToken).ConfigureAwait(false);
                    await session.SetActiveAsync(ManagedScript, cancellationToken).ConfigureAwait(false);
                }
                catch (ManageSieveException)
                {
                    // The new part is not included anywhere: remove it, so a later change does not find an orphan.
                    foreach (var (name, _) in put.Where(p => scripts.All(s => s.Name != p.Name)))
                        await session.DeleteScriptAsync(name, cancellationToken).ConfigureAwait(false);
                    throw;
                }
            }

            foreach (var name in delete.Where(name => scripts.Any(s => s.Name == name)))
                await session.DeleteScriptAsync(name, cancellationToken).ConfigureAwait(false);
            SieveFiltersLog.Changed(logger, account ?? "(login)", state.Rules.Count, state.Vacation, state.UserScript);
        }
    }

    /// <summary>What the library's script includes now; a script the user activated since becomes the user's script.</summary>
    private static async Task<State> ReadAsync(IManageSieveSession session, IReadOnlyList<SieveScriptInfo> scripts, CancellationToken cancellationToken)
    {
        var state = new State();
        if (scripts.Any(s => s.Name == ManagedScript))
        {
            var text = await session.GetScriptAsync(ManagedScript, cancellationToken).ConfigureAwait(false);
            foreach (Match include in IncludeLine().Matches(text))
            {
                var name = include.Groups["name"].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
                if (name == VacationScript)
                    state.Vacation = scripts.Any(s => s.Name == VacationScript);
                else if (name.StartsWith(RulePrefix, StringComparison.Ordinal))
                {
                    if (scripts.Any(s => s.Name == name))
                        state.Rules.Add(name[RulePrefix.Length..]);
                }
                else
                    state.UserScript = name;
            }
        }

        if (scripts.FirstOrDefault(s => s.IsActive) is { } active && !IsOurs(active.Name))
            state.UserScript = active.Name;
        return state;
    }

    private static string Render(State state)
    {
        var builder = new SieveScriptBuilder();
        foreach (var rule in state.Rules)
            builder.Include(RulePrefix + rule);
        if (state.Vacation)
            builder.Include(VacationScript);
        if (state.UserScript is { } user)
            builder.Include(user);
        return "# Managed by Mailing.Toolkit (IMailboxFilters): changes here are overwritten.\r\n" + builder.Build();
    }

    private static bool IsOurs(string name) => name == ManagedScript || name == VacationScript || name.StartsWith(RulePrefix, StringComparison.Ordinal);

    [GeneratedRegex("""^include :personal "(?<name>(?:[^"\\]|\\.)*)";\r?$""", RegexOptions.Multiline | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex IncludeLine();

    private sealed class State
    {
        public List<string> Rules { get; } = [];

        public bool Vacation { get; set; }

        public string? UserScript { get; set; }
    }
}

internal static partial class SieveFiltersLog
{
    [LoggerMessage(EventId = 6020, Level = LogLevel.Debug, Message = "Sieve filters of {Account} changed: {Rules} rule(s), vacation {Vacation}, user script {UserScript}")]
    public static partial void Changed(ILogger logger, string account, int rules, bool vacation, string? userScript);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "The ManageSieve server stored script {Script} with warnings: {Warnings}")]
    public static partial void ScriptWarnings(ILogger logger, string script, string warnings);
}
