
namespace Mailing.Toolkit.Sending;

/// <summary>Settings of the redirect filter, bound from <c>Mailing:Redirect</c>.</summary>
public sealed class RedirectFilterOptions
{
    /// <summary>The header that keeps the original envelope recipients of a redirected message.</summary>
    public const string OriginalRecipientsHeader = "X-Mailing-Original-Recipients";

    /// <summary>Every message goes to this address instead of its recipients (for example a QA inbox).</summary>
    public string To { get; set; } = string.Empty;

    /// <summary>Whether the filter is active; lets configuration switch it off per environment.</summary>
    public bool Enabled { get; set; } = true;
}
