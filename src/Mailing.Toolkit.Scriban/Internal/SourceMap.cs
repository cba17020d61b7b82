namespace Mailing.Toolkit.Scriban.Internal;

/// <summary>One change made to a template source: <c>Length</c> characters at <c>Offset</c> replaced by <c>NewLength</c> characters.</summary>
internal readonly record struct SourceEdit(int Offset, int Length, int NewLength);

/// <summary>
/// Maps positions in an edited template source (CSS inlined) back to the file the user wrote, so an error names the
/// line and column of the original file, although inlining moves text.
/// </summary>
internal sealed class SourceMap(string original, IReadOnlyList<SourceEdit> edits)
{
    public string Original { get; } = original;

    public int ToOriginalOffset(int editedOffset)
    {
        var delta = 0;
        foreach (var edit in edits)
        {
            var editedStart = edit.Offset + delta;
            if (editedOffset < editedStart)
                break;
            if (editedOffset < editedStart + edit.NewLength)
                return edit.Offset;
            delta += edit.NewLength - edit.Length;
        }
        return Math.Clamp(editedOffset - delta, 0, Original.Length);
    }

    /// <summary>The 1-based line and column of an offset in <paramref name="text"/>.</summary>
    public static (int Line, int Column) LineColumn(string text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return (line, offset - lineStart + 1);
    }
}
