using MimeKit.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>
/// The open elements of the document being converted, innermost last. An explicit stack rather than recursion,
/// so nesting depth costs memory, never the call stack.
/// </summary>
/// <remarks>
/// Each frame links to the previous open element with the same tag id and the innermost one per id is indexed:
/// an end tag finds its element in O(1) (or learns it is stray), and popping is amortized O(1) because each
/// element is pushed once.
/// </remarks>
internal sealed class OpenElementStack
{
    private static readonly int TagIdCount = (int)Enum.GetValues<HtmlTagId>().Max() + 1;

    private ElementFrame[] frames = new ElementFrame[32];
    private readonly int[] innermost;

    public OpenElementStack()
    {
        innermost = new int[TagIdCount];
        Array.Fill(innermost, -1);
    }

    /// <summary>The number of open elements; the next pushed element gets this index.</summary>
    public int Depth { get; private set; }

    /// <summary>The frame at <paramref name="index"/>; a popped frame stays readable until the next push.</summary>
    public ref ElementFrame this[int index] => ref frames[index];

    /// <summary>The index of the innermost open element with tag <paramref name="id"/>, or -1.</summary>
    public int Innermost(HtmlTagId id) => innermost[(int)id];

    /// <summary>Opens an element and returns its index.</summary>
    public int Push(HtmlTagId id)
    {
        var index = Depth;
        if (index == frames.Length)
            Array.Resize(ref frames, index * 2);
        frames[index] = new ElementFrame { Id = id, PreviousSame = innermost[(int)id] };
        innermost[(int)id] = index;
        return Depth++;
    }

    /// <summary>Closes the innermost element and returns its index; the caller reads its frame, then clears it.</summary>
    public int Pop()
    {
        var index = --Depth;
        ref readonly var frame = ref frames[index];
        innermost[(int)frame.Id] = frame.PreviousSame;
        return index;
    }
}

/// <summary>An open element. Which fields mean something depends on the element.</summary>
internal struct ElementFrame
{
    public HtmlTagId Id;

    /// <summary>The index of the next open element with the same id, -1 if none.</summary>
    public int PreviousSame;

    /// <summary>List, item, row, cell: the index of the enclosing list or table frame.</summary>
    public int Outer;

    /// <summary>List: the open item. Table: the open row.</summary>
    public int Child;

    /// <summary>Table: the open cell.</summary>
    public int Cell;

    /// <summary>
    /// Table: the enclosing table's <see cref="TextLineWriter.RowHasText"/>, put back when this table closes (the
    /// writer holds the flag of the innermost table only).
    /// </summary>
    public bool OuterRowHasText;

    /// <summary>List: the indent of its markers.</summary>
    public int Base;

    /// <summary>Ordered list: the next item number.</summary>
    public int Number;

    /// <summary>Item, dd: the indent to restore on close.</summary>
    public int SavedIndent;

    /// <summary>Link: its href.</summary>
    public string? Href;
}
