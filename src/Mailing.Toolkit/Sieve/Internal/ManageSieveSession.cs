namespace Mailing.Toolkit.Sieve.Internal;

/// <summary>The commands of RFC 5804 over one logged-in <see cref="ManageSieveClient"/>; one command on the wire at a time.</summary>
internal sealed class ManageSieveSession(ManageSieveClient client) : IManageSieveSession
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public ManageSieveCapabilities Capabilities => client.Capabilities;

    public async Task<IReadOnlyList<SieveScriptInfo>> ListScriptsAsync(CancellationToken cancellationToken = default)
    {
        var scripts = new List<SieveScriptInfo>();
        await RunAsync(new ManageSieveCommand("LISTSCRIPTS"), "LISTSCRIPTS", line =>
        {
            if (line.Count > 0 && line[0].Kind == SieveTokenKind.String)
                scripts.Add(new SieveScriptInfo(line[0].Value, line.Count > 1 && line[1].Kind == SieveTokenKind.Atom && line[1].Value.Equals("ACTIVE", StringComparison.OrdinalIgnoreCase)));
        }, cancellationToken).ConfigureAwait(false);
        return scripts;
    }

    public async Task<string> GetScriptAsync(string name, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckScriptName(name);
        string? content = null;
        await RunAsync(new ManageSieveCommand("GETSCRIPT").ScriptName(name), $"GETSCRIPT '{name}'", line =>
        {
            if (line.Count > 0 && line[0].Kind == SieveTokenKind.String)
                content = line[0].Value;
        }, cancellationToken).ConfigureAwait(false);
        return content ?? throw new ManageSieveException($"The ManageSieve server {client.Server} answered GETSCRIPT '{name}' without the script.");
    }

    public async Task<string?> PutScriptAsync(string name, string content, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckScriptName(name);
        ArgumentNullException.ThrowIfNull(content);
        var response = await RunAsync(new ManageSieveCommand("PUTSCRIPT").ScriptName(name).Content(content), $"PUTSCRIPT '{name}'", null, cancellationToken).ConfigureAwait(false);
        return response.Code == "WARNINGS" ? response.Text : null;
    }

    public async Task<SieveCheckResult> CheckScriptAsync(string content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var response = await SendAsync(new ManageSieveCommand("CHECKSCRIPT").Content(content), null, cancellationToken).ConfigureAwait(false);
        return new SieveCheckResult(response.IsOk, response.Text);
    }

    public Task SetActiveAsync(string name, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckScriptName(name);
        return RunAsync(new ManageSieveCommand("SETACTIVE").ScriptName(name), $"SETACTIVE '{name}'", null, cancellationToken);
    }

    public Task DeactivateAsync(CancellationToken cancellationToken = default) =>
        RunAsync(new ManageSieveCommand("SETACTIVE").ScriptName(""), "SETACTIVE \"\"", null, cancellationToken);

    public Task DeleteScriptAsync(string name, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckScriptName(name);
        return RunAsync(new ManageSieveCommand("DELETESCRIPT").ScriptName(name), $"DELETESCRIPT '{name}'", null, cancellationToken);
    }

    public Task RenameScriptAsync(string name, string newName, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckScriptName(name);
        SieveNames.CheckScriptName(newName, nameof(newName));
        return RunAsync(new ManageSieveCommand("RENAMESCRIPT").ScriptName(name).ScriptName(newName), $"RENAMESCRIPT '{name}' to '{newName}'", null, cancellationToken);
    }

    public async Task<bool> HaveSpaceAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        SieveNames.CheckScriptName(name);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var command = new ManageSieveCommand("HAVESPACE").ScriptName(name).Atom(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await SendAsync(command, null, cancellationToken).ConfigureAwait(false);
        if (response.IsOk)
            return true;
        return response.Code?.StartsWith("QUOTA", StringComparison.Ordinal) == true ? false : throw client.Refused($"HAVESPACE '{name}' {size}", response);
    }

    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await client.DisconnectAsync(quit: true).ConfigureAwait(false);
        }
        finally
        {
            client.Dispose();
            gate.Release();
        }
    }

    /// <summary>Sends a command and throws when the server refuses it.</summary>
    private async Task<ManageSieveResponse> RunAsync(ManageSieveCommand command, string what, Action<List<SieveToken>>? onData, CancellationToken cancellationToken)
    {
        var response = await SendAsync(command, onData, cancellationToken).ConfigureAwait(false);
        return response.IsOk ? response : throw client.Refused(what, response);
    }

    private async Task<ManageSieveResponse> SendAsync(ManageSieveCommand command, Action<List<SieveToken>>? onData, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await client.SendAsync(command, onData, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
