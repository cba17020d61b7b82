namespace Mailing.Toolkit.Integrations.Internal;

/// <summary>
/// The key of a suppression entry, checked and normalized the same way by every list (in memory, SQLite, PostgreSQL).
/// This file is compiled into the database packages as well.
/// </summary>
internal static class SuppressionKeys
{
    public const int MaxAddressLength = 320;
    public const int MaxCategoryLength = 100;
    public const int MaxListLimit = 10000;

    /// <summary>The address trimmed and lower-cased.</summary>
    /// <exception cref="ArgumentException">It is blank, longer than 320 characters, has no '@' or contains a line break.</exception>
    public static string Address(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var trimmed = address.Trim();
        if (trimmed.Length > MaxAddressLength || !trimmed.Contains('@', StringComparison.Ordinal) || HeaderSafety.ContainsLineBreakOrNul(trimmed))
            throw new ArgumentException($"'{trimmed.ReplaceLineEndings(" ")}' is not an email address (local@domain on one line, at most {MaxAddressLength} characters).", nameof(address));
        return trimmed.ToLowerInvariant();
    }

    /// <summary>The category as stored: the empty string for "every category".</summary>
    public static string Category(string? category)
    {
        if (category is null)
            return string.Empty;
        if (category.Length is 0 or > MaxCategoryLength || HeaderSafety.ContainsLineBreakOrNul(category))
            throw new ArgumentException($"A suppression category must be 1 to {MaxCategoryLength} characters on one line, or null for every category.", nameof(category));
        return category;
    }

    public static int Limit(SuppressionQuery query) =>
        query.Limit is >= 1 and <= MaxListLimit
            ? query.Limit
            : throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"SuppressionQuery.Limit must be 1 to {MaxListLimit}.");
}
