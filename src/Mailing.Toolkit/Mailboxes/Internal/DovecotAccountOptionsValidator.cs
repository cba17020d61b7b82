using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>Checks <see cref="DovecotAccountOptions"/> at start, naming the key to fix.</summary>
internal sealed partial class DovecotAccountOptionsValidator(string path) : IValidateOptions<DovecotAccountOptions>
{
    public ValidateOptionsResult Validate(string? name, DovecotAccountOptions options)
    {
        var errors = new List<string>();
        if (options.ConnectionFactory is null)
            errors.Add($"{path}:ConnectionFactory is required: set it in code to open a connection to the database Dovecot reads.");
        if (!TableName().IsMatch(options.Table ?? ""))
            errors.Add($"{path}:Table must be 1-63 letters, digits and underscores, starting with a letter or underscore (was '{options.Table}').");
        if (options.DoveadmUrl is not { IsAbsoluteUri: true } url || url.Scheme is not ("http" or "https"))
            errors.Add($"{path}:DoveadmUrl is required: the absolute http(s) address of the doveadm HTTP API, for example https://mail.example.com:8080/doveadm/v1.");
        else if (url.Scheme == "http" && !IsLoopback(url))
            errors.Add($"{path}:DoveadmUrl must use https for a host that is not loopback (was {url.GetLeftPart(UriPartial.Authority)}): the API key would cross the network in the clear.");
        if (string.IsNullOrEmpty(options.DoveadmApiKey))
            errors.Add($"{path}:DoveadmApiKey is required (Dovecot's doveadm_api_key).");
        if (options.DoveadmTimeout <= TimeSpan.Zero || options.DoveadmTimeout > TimeSpan.FromMinutes(30))
            errors.Add($"{path}:DoveadmTimeout must be more than 0 and at most 30 minutes (was {options.DoveadmTimeout}).");
        if (options.PasswordHashRounds is < Sha512Crypt.MinRounds or > Sha512Crypt.MaxRounds)
            errors.Add($"{path}:PasswordHashRounds must be {Sha512Crypt.MinRounds}-{Sha512Crypt.MaxRounds} (was {options.PasswordHashRounds}).");
        if (options.MaxQuotaBytes < 1024 * 1024)
            errors.Add($"{path}:MaxQuotaBytes must be at least 1 MiB (was {options.MaxQuotaBytes}).");
        foreach (var folder in options.DefaultFolders ?? [])
        {
            if (string.IsNullOrWhiteSpace(folder) || HeaderSafety.ContainsLineBreakOrNul(folder))
                errors.Add($"{path}:DefaultFolders holds an empty name or one with a line break.");
        }

        var policy = options.PasswordPolicy;
        if (policy is null)
            errors.Add($"{path}:PasswordPolicy is required.");
        else
        {
            if (policy.MinLength is < 8 or > 256)
                errors.Add($"{path}:PasswordPolicy:MinLength must be 8-256 (was {policy.MinLength}).");
            if (policy.MaxLength < policy.MinLength || policy.MaxLength > 4096)
                errors.Add($"{path}:PasswordPolicy:MaxLength must be MinLength-4096 (was {policy.MaxLength}).");
            if (policy.MinCharacterClasses is < 0 or > 4)
                errors.Add($"{path}:PasswordPolicy:MinCharacterClasses must be 0-4 (was {policy.MinCharacterClasses}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex TableName();
}
