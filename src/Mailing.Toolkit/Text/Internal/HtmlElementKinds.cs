using System.Globalization;
using MimeKit.Text;

namespace Mailing.Toolkit.Text.Internal;

/// <summary>What elements and their attributes mean for the text: which are blocks, which are hidden, where a list starts.</summary>
internal static class HtmlElementKinds
{
    /// <summary>Blocks that start and end a line (paragraph-like blocks, lists, tables and the rest are handled apart).</summary>
    public static bool IsLineBlock(HtmlTagId id) => id is HtmlTagId.Div or HtmlTagId.Section or HtmlTagId.Article
        or HtmlTagId.Header or HtmlTagId.Footer or HtmlTagId.Main or HtmlTagId.Nav or HtmlTagId.Aside or HtmlTagId.Center
        or HtmlTagId.Address or HtmlTagId.Caption or HtmlTagId.FigCaption or HtmlTagId.Details or HtmlTagId.Summary
        or HtmlTagId.Legend or HtmlTagId.Form or HtmlTagId.DT or HtmlTagId.Dialog;

    /// <summary>Blocks that end an open paragraph (and a runaway link or heading).</summary>
    public static bool IsBlock(HtmlTagId id) => id is HtmlTagId.P or HtmlTagId.Div or HtmlTagId.Table
        or HtmlTagId.UL or HtmlTagId.OL or HtmlTagId.LI or HtmlTagId.DL or HtmlTagId.DT or HtmlTagId.DD
        or HtmlTagId.H1 or HtmlTagId.H2 or HtmlTagId.H3 or HtmlTagId.H4 or HtmlTagId.H5 or HtmlTagId.H6
        or HtmlTagId.BlockQuote or HtmlTagId.Pre or HtmlTagId.Xmp or HtmlTagId.Listing or HtmlTagId.PlainText
        or HtmlTagId.HR or HtmlTagId.Section or HtmlTagId.Article or HtmlTagId.Aside or HtmlTagId.Header
        or HtmlTagId.Footer or HtmlTagId.Main or HtmlTagId.Nav or HtmlTagId.Address or HtmlTagId.Center
        or HtmlTagId.Details or HtmlTagId.Summary or HtmlTagId.Dialog or HtmlTagId.Figure or HtmlTagId.FigCaption
        or HtmlTagId.FieldSet or HtmlTagId.Form or HtmlTagId.Menu or HtmlTagId.Dir;

    /// <summary>Whether an element is hidden from readers (style display:none, or the hidden attribute).</summary>
    public static bool IsHidden(HtmlTokenReader tag)
    {
        for (var i = 0; i < tag.AttributeCount; i++)
        {
            var name = tag.GetAttributeName(i);
            if (name.Equals("style", StringComparison.OrdinalIgnoreCase))
            {
                if (HasDisplayNone(tag.GetAttributeValue(i)))
                    return true;
            }
            else if (name.Equals("hidden", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first number of an ordered list: its start attribute when that is a sane number, else 1.</summary>
    public static int GetListStart(HtmlTokenReader tag) =>
        tag.FindAttribute("start") is >= 0 and var at
            && int.TryParse(tag.GetAttributeValue(at), NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)
            && start is >= 0 and < 1_000_000_000 ? start : 1;

    private static bool HasDisplayNone(ReadOnlySpan<char> style)
    {
        int i;
        while ((i = style.IndexOf("display", StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            style = style[(i + "display".Length)..];
            var value = style.TrimStart();
            if (value.Length > 0 && value[0] == ':' && value[1..].TrimStart().StartsWith("none", StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }
}
