using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.AutoResponding.Internal;

/// <summary>
/// Checks the auto-responder options at start, with messages that name the key to fix
/// (<c>Mailing:AutoResponder:Rules:0:Subject is not a valid regular expression</c>).
/// </summary>
internal sealed class AutoResponderOptionsValidator(string path, Func<bool> hasRenderer) : IValidateOptions<AutoResponderOptions>
{
    public ValidateOptionsResult Validate(string? name, AutoResponderOptions options)
    {
        var errors = new List<string>();
        CheckAddress(errors, $"{path}:From", options.From);
        if (options.Interval <= TimeSpan.Zero)
            errors.Add($"{path}:Interval must be a positive duration, written d.hh:mm:ss (was {options.Interval:c}); one reply per sender per interval cannot be turned off.");
        if (options.RegexTimeout <= TimeSpan.Zero || options.RegexTimeout > TimeSpan.FromSeconds(10))
            errors.Add($"{path}:RegexTimeout must be between 00:00:00.001 and 00:00:10 (was {options.RegexTimeout:c}).");
        if (options.HistoryPath is { } history && (string.IsNullOrWhiteSpace(history) || history.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
            errors.Add($"{path}:HistoryPath '{history.ReplaceLineEndings(" ")}' is not a valid file path.");
        for (var i = 0; i < options.OwnAddresses.Count; i++)
            CheckPattern(errors, $"{path}:OwnAddresses:{i}", options.OwnAddresses[i]);

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var timeout = options.RegexTimeout > TimeSpan.Zero ? options.RegexTimeout : TimeSpan.FromSeconds(1);
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var at = $"{path}:Rules:{i}";
            if (rule is null)
            {
                errors.Add($"{at} is empty.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(rule.Name))
                errors.Add($"{at}:Name is required: it names the rule in logs and metrics.");
            else if (!names.Add(rule.Name))
                errors.Add($"{at}:Name '{rule.Name.ReplaceLineEndings(" ")}' is used by another rule; rule names must be unique.");

            CheckRegex(errors, $"{at}:Subject", rule.Subject, timeout);
            CheckRegex(errors, $"{at}:Body", rule.Body, timeout);
            foreach (var (header, pattern) in rule.Headers)
                CheckRegex(errors, $"{at}:Headers:{header}", pattern ?? string.Empty, timeout);
            for (var j = 0; j < rule.Recipients.Count; j++)
                CheckPattern(errors, $"{at}:Recipients:{j}", rule.Recipients[j]);
            for (var j = 0; j < rule.Senders.Count; j++)
                CheckPattern(errors, $"{at}:Senders:{j}", rule.Senders[j]);

            CheckAddress(errors, $"{at}:From", rule.From);
            if (rule.ReplySubject is { } subject && HeaderSafety.ContainsLineBreakOrNul(subject))
                errors.Add($"{at}:ReplySubject must be one line.");
            if (rule.Interval is { } interval && interval <= TimeSpan.Zero)
                errors.Add($"{at}:Interval must be a positive duration (was {interval:c}).");
            if (rule.ActiveFrom is { } from && rule.ActiveUntil is { } until && until <= from)
                errors.Add($"{at}:ActiveUntil must be later than ActiveFrom.");

            var inline = rule.Text is not null || rule.Html is not null;
            if (string.IsNullOrWhiteSpace(rule.Template) && !inline)
                errors.Add($"{at} needs a response: Text, Html or Template.");
            else if (!string.IsNullOrWhiteSpace(rule.Template) && !inline && !hasRenderer())
                errors.Add($"{at}:Template '{rule.Template}' needs a template renderer (for example AddScribanTemplates()), or set Text or Html.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckAddress(List<string> errors, string key, string? value)
    {
        if (value is not null && !EmailAddress.TryParse(value, out _))
            errors.Add($"{key} '{value.ReplaceLineEndings(" ")}' must be one email address such as 'Support <support@shop.example>'.");
    }

    private static void CheckPattern(List<string> errors, string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || HeaderSafety.ContainsLineBreakOrNul(value) || value.Contains(' ', StringComparison.Ordinal))
            errors.Add($"{key} '{value?.ReplaceLineEndings(" ")}' must be an address pattern such as 'support@shop.example' or '*@shop.example'.");
    }

    private static void CheckRegex(List<string> errors, string key, string? pattern, TimeSpan timeout)
    {
        if (pattern is null)
            return;
        try
        {
            _ = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, timeout);
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{key} is not a valid regular expression: {ex.Message}");
        }
    }
}
