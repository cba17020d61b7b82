using MimeKit;

namespace Mailing.Toolkit.Parsing.Internal.Classification;

/// <summary>A bounded, non-recursive walk over a message's MIME tree that does not enter attached messages.</summary>
internal static class MimeParts
{
    /// <summary>The most entities examined; reports have a handful, so more means the rest is not a report.</summary>
    public const int MaxEntities = 256;

    /// <summary>The entities of the message in document order, the attached messages themselves but not their contents.</summary>
    public static IEnumerable<MimeEntity> Walk(MimeMessage message)
    {
        if (message.Body is null)
            yield break;

        var stack = new Stack<MimeEntity>();
        stack.Push(message.Body);
        var seen = 0;
        while (stack.Count > 0 && seen++ < MaxEntities)
        {
            var entity = stack.Pop();
            yield return entity;
            if (entity is Multipart multipart)
            {
                for (var i = multipart.Count - 1; i >= 0; i--)
                    stack.Push(multipart[i]);
            }
        }
    }
}
