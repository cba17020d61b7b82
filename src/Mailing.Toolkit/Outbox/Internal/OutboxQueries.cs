namespace Mailing.Toolkit.Outbox.Internal;

/// <summary>Checks of the query arguments every outbox takes. This file is compiled into the database packages as well.</summary>
internal static class OutboxQueries
{
    public const int MaxListLimit = 1000;

    public static int CheckLimit(OutboxQuery query) =>
        query.Limit is >= 1 and <= MaxListLimit
            ? query.Limit
            : throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"OutboxQuery.Limit must be 1 to {MaxListLimit}.");
}
