
namespace Mailing.Toolkit;

/// <summary>Settings shared by every mail feature, bound from the <c>Mailing</c> section.</summary>
public sealed class MailingOptions
{
    /// <summary>The configuration section these options bind from by convention.</summary>
    public const string SectionName = "Mailing";

    /// <summary>
    /// The From address used when a message has none, for example <c>"Shop &lt;noreply@shop.example&gt;"</c>
    /// (<c>Mailing:DefaultFrom</c>).
    /// </summary>
    public string? DefaultFrom { get; set; }
}
