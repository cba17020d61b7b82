namespace Mailing.Toolkit.Parsing.Internal.Replies;

/// <summary>
/// Splits the lines of a reply into the new text, the signature and the quote.
/// </summary>
/// <remarks>
/// <para>
/// Three passes, each linear in the number of lines: (1) find the first separator after which everything is the
/// quoted message ("-----Original Message-----", an Outlook "From: / Sent: / To:" block, an attribution not followed
/// by quoted lines, or an HTML container that says so); (2) from there, peel trailing pieces off the end: quote blocks
/// (with the attribution above them) and signature blocks, until a line of new text is reached; (3) when nothing
/// trails but the message opens with its only quote, the reply was written below it (bottom posting).
/// </para>
/// <para>
/// A quote between lines of new text (an inline answer) stays in <see cref="ReplyParts.VisibleText"/>: without it
/// the answer loses its context. The signature is the block between the new text and the quote, or at the end of
/// the message; a footer below the quote is part of <see cref="ReplyParts.QuotedText"/> unless the author's own
/// signature is missing above it.
/// </para>
/// </remarks>
internal sealed class ReplySplitter
{
    /// <summary>The most lines a signature introduced by "-- " or a rule may have.</summary>
    public const int MaxDelimitedSignatureLines = 30;

    /// <summary>The most lines a signature found by its content (closing, name, contact details) may have.</summary>
    public const int MaxSignatureLines = 10;

    // How many quote blocks and signatures are peeled off the end at most: real replies have a few (signature,
    // quote, list footer); past that the rest is new text, so crafted input cannot make the parts absurd.
    private const int MaxTrailingPieces = 8;

    // How many lines above its last one an attribution may start ("On <date>, <name>\n<address>\nwrote:").
    private const int MaxAttributionLines = 3;

    // How many lines an Outlook header block is searched for its fields.
    private const int MaxHeaderBlockLines = 10;

    private readonly ReplyText text;
    private readonly int count;
    private readonly int firstContent;

    // Per line, computed once: blank, quoted; and how many lines before each are too long for a signature.
    private readonly bool[] blank;
    private readonly bool[] quoted;
    private readonly int[] longBefore;

    // Header-block field labels, looked up once per line (several blocks overlap the same lines).
    private readonly ReplyVocabulary.HeaderField?[] labels;

    private ReplySplitter(ReplyText text)
    {
        this.text = text;
        count = text.Count;
        blank = new bool[count];
        quoted = new bool[count];
        longBefore = new int[count + 1];
        labels = new ReplyVocabulary.HeaderField?[count];
        firstContent = count;
        for (var i = 0; i < count; i++)
        {
            blank[i] = text.IsBlank(i);
            quoted[i] = !blank[i] && text.IsQuoted(i);
            longBefore[i + 1] = longBefore[i] + (text.Line(i).Length > ReplyVocabulary.MaxShortLineLength ? 1 : 0);
        }

        for (var i = 1; i + 1 < count; i++)
        {
            if (!blank[i] && !quoted[i] && quoted[i - 1] && quoted[i + 1] && IsWrappedQuoteLine(i))
                quoted[i] = true;
        }

        for (var i = 0; i < count && firstContent == count; i++)
        {
            if (!blank[i] && !quoted[i] && text.Hint(i) == LineHint.None)
                firstContent = i;
        }
    }

    // A quoted line the client re-wrapped without quoting its end: "> ... pharetra d" then "ignissim odio?" then ">".
    // Only a lower-case continuation of a long quoted line counts, so an inline answer ("Yes, see below") never does.
    private bool IsWrappedQuoteLine(int line)
    {
        var previous = text.Line(line - 1).TrimEnd();
        var current = text.Line(line).TrimStart();
        return previous.Length >= 55 && current.Length > 0 && char.IsLower(current[0]);
    }

    private bool IsBlank(int line) => blank[line];

    private bool IsQuoted(int line) => quoted[line];

    // A quoted line, or an attribution an HTML container marked as one (the two travel together).
    private bool IsQuoteLine(int line) => quoted[line] || text.Hint(line) == LineHint.Header;

    /// <summary>Splits <paramref name="text"/> into its reply parts.</summary>
    public static ReplyParts Split(ReplyText text)
    {
        var parts = new ReplySplitter(text).Split();
        return StartsWithForward(parts.QuotedText) ? parts with { IsForward = true } : parts;
    }

    // Whether the quote opens with a forwarded-message separator (on its first line, or under a rule or an HTML attribution).
    private static bool StartsWithForward(string? quoted)
    {
        if (quoted is null)
            return false;
        var lines = 0;
        foreach (var range in quoted.AsSpan().Split('\n'))
        {
            var line = quoted.AsSpan()[range];
            if (line.IsWhiteSpace())
                continue;
            if (ReplyVocabulary.IsForwardSeparator(line.TrimStart('>')))
                return true;
            if (++lines == 2)
                return false;
        }
        return false;
    }

    private ReplyParts Split()
    {
        var hardSplit = FindHardSplit();

        // Pieces peeled off the end, bottom first: (start line, is quote).
        var pieces = new List<(int Start, bool Quote)>();
        if (hardSplit < count)
            pieces.Add((hardSplit, true));

        var end = hardSplit;
        while (pieces.Count < MaxTrailingPieces)
        {
            var last = SkipBlankUp(end);
            if (last == 0)
                break;
            if (IsQuoteLine(last - 1))
            {
                var start = QuoteBlockStart(last);
                pieces.Add((start, true));
                end = start;
                continue;
            }
            if (TryFindSignature(last, out var signatureStart))
            {
                pieces.Add((signatureStart, false));
                end = signatureStart;
                continue;
            }
            break;
        }
        end = SkipBlankUp(end);

        var firstQuote = -1;
        foreach (var piece in pieces)
        {
            if (piece.Quote)
                firstQuote = piece.Start;
        }

        if (firstQuote < 0 && TryFindLeadingQuote(end, out var quoteEnd))
        {
            var signature = pieces.Count > 0 ? text.Slice(pieces[^1].Start, count) : null;
            return new ReplyParts(text.VisibleSlice(quoteEnd, end) ?? string.Empty, text.Slice(0, quoteEnd), signature);
        }

        var visible = InlineAnswers(end, out var inlineQuotes);
        if (pieces.Count == 0)
            return new ReplyParts(visible, inlineQuotes, null);

        var top = pieces[^1];
        if (!top.Quote)
        {
            // The author's signature, between the new text and the quote (or at the end).
            var signatureEnd = firstQuote >= 0 ? firstQuote : count;
            return new ReplyParts(visible, Join(inlineQuotes, firstQuote >= 0 ? text.Slice(firstQuote, count) : null), text.Slice(top.Start, signatureEnd));
        }

        var bottom = pieces[0];
        if (!bottom.Quote)
        {
            // No signature above the quote, one below it.
            return new ReplyParts(visible, Join(inlineQuotes, text.Slice(firstQuote, bottom.Start)), text.Slice(bottom.Start, count));
        }
        return new ReplyParts(visible, Join(inlineQuotes, text.Slice(firstQuote, count)), null);
    }

    /// <summary>
    /// The new text above <paramref name="end"/> without the quotes between its answers (an inline or a bottom reply
    /// below a greeting): the answers in order, one line break apart; the quotes, with their attributions, in
    /// <paramref name="quotes"/>.
    /// </summary>
    private string InlineAnswers(int end, out string? quotes)
    {
        quotes = null;
        List<(int Start, int End)>? answers = null;
        List<(int Start, int End)>? quoteRanges = null;
        var answerStart = 0;
        for (var i = 0; i < end; i++)
        {
            if (!IsQuoteLine(i))
                continue;
            var quoteStart = i;
            var above = SkipBlankUp(i);
            if (above > answerStart && TryAttributionEndingAt(above - 1, out var attribution, out _) && attribution >= answerStart)
                quoteStart = attribution;
            var quoteEnd = i;
            while (quoteEnd < end && (IsQuoteLine(quoteEnd) || IsBlank(quoteEnd)))
                quoteEnd++;
            // One '>' line set tight between lines of text (">>> DATA" in an SMTP transcript) is text, not a quote.
            if (quoteStart == i && quoteEnd == i + 1 && i > 0 && !IsBlank(i - 1) && quoteEnd < end && text.Hint(i) == LineHint.None)
                continue;
            (answers ??= []).Add((answerStart, quoteStart));
            (quoteRanges ??= []).Add((quoteStart, quoteEnd));
            answerStart = quoteEnd;
            i = quoteEnd - 1;
        }

        if (answers is null)
            return text.VisibleSlice(0, end) ?? string.Empty;
        answers.Add((answerStart, end));
        quotes = Concat(quoteRanges!, "\n\n", visible: false);
        return Concat(answers, "\n", visible: true) ?? string.Empty;
    }

    // The non-blank slices of `ranges` joined by `separator`, built once (linear however many ranges there are).
    private string? Concat(List<(int Start, int End)> ranges, string separator, bool visible)
    {
        var joined = new System.Text.StringBuilder();
        foreach (var (start, stop) in ranges)
        {
            if ((visible ? text.VisibleSlice(start, stop) : text.Slice(start, stop)) is not { } part)
                continue;
            if (joined.Length > 0)
                joined.Append(separator);
            joined.Append(part);
        }
        return joined.Length == 0 ? null : joined.ToString();
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : first + "\n\n" + second;

    // ---- pass 1: the separator after which everything is quoted --------------------------------

    private int FindHardSplit()
    {
        for (var i = 0; i < count; i++)
        {
            var hint = text.Hint(i);
            if (hint == LineHint.QuoteToEnd)
                return i;
            if (hint != LineHint.None || IsBlank(i) || IsQuoted(i))
                continue;

            var line = text.Line(i);
            if (ReplyVocabulary.IsOriginalMessageSeparator(line))
                return i;
            if (IsHeaderBlock(i))
                return WithRuleAbove(i);

            // An attribution without quoted lines under it: the quoted message follows unmarked.
            if (ReplyVocabulary.IsDecoratedAttribution(line))
                return i;
            if (TryAttributionEndingAt(i, out var start, out var kind) && kind is AttributionKind.WithVerb or AttributionKind.DatedVerbless && !IsFollowedByQuote(i))
                return WithRuleAbove(start);
        }
        return count;
    }

    // "From: ...", "Sent: ...", "To: ..." (in any of the languages, any order, From among them): three different fields
    // on consecutive lines, a wrapped value allowed in between.
    private bool IsHeaderBlock(int first)
    {
        var firstField = Label(first);
        if (firstField == ReplyVocabulary.HeaderField.None)
            return false;

        var seen = 1 << (int)firstField;
        var fields = 1;
        for (var i = first + 1; i < count && i < first + MaxHeaderBlockLines; i++)
        {
            if (IsBlank(i) || IsQuoted(i))
                break;
            var field = Label(i);
            if (field != ReplyVocabulary.HeaderField.None && (seen & (1 << (int)field)) == 0)
            {
                seen |= 1 << (int)field;
                fields++;
            }
        }
        return fields >= 3 && (seen & (1 << (int)ReplyVocabulary.HeaderField.From)) != 0;
    }

    private ReplyVocabulary.HeaderField Label(int line) => labels[line] ??= ReplyVocabulary.HeaderLabel(text.Line(line));

    // A rule ("________", " ---------") right above a header (blank lines between allowed) belongs to the quote.
    private int WithRuleAbove(int start)
    {
        var above = SkipBlankUp(start);
        if (above > 0 && start - above <= 2 && ReplyVocabulary.IsRule(text.Line(above - 1), 5))
            return above - 1;
        return start;
    }

    private bool IsFollowedByQuote(int line)
    {
        for (var i = line + 1; i < count; i++)
        {
            if (!IsBlank(i))
                return IsQuoteLine(i);
        }
        return false;
    }

    // ---- attributions ("On <date>, <name> wrote:") ----------------------------------------------

    // An attribution whose last line is `last`: it starts on that line or up to two lines above it, at a line that
    // begins like one (an opener word or a date), or else at the topmost of those lines that holds a digit.
    private bool TryAttributionEndingAt(int last, out int start, out AttributionKind kind)
    {
        start = last;
        kind = AttributionKind.None;
        var line = text.Line(last).TrimEnd();
        if (line.IsEmpty || text.Hint(last) != LineHint.None || IsQuoted(last))
            return false;
        if (!ReplyVocabulary.IsColon(line[^1]))
        {
            // "2011/4/7 Name <a@example.com>" without its colon: a date and an address, taken only right above a quote.
            if (line[^1] != '>' || !line.Contains('@') || !char.IsAsciiDigit(line.TrimStart()[0]) || !ReplyVocabulary.StartsLikeAttribution(line)
                || line.Length > ReplyVocabulary.MaxHeaderLength)
                return false;
            kind = AttributionKind.Verbless;
            return true;
        }

        var top = last;
        var length = line.Length;
        if (!ReplyVocabulary.StartsLikeAttribution(line))
        {
            var withDigit = -1;
            for (var i = last - 1; i >= 0 && i > last - MaxAttributionLines; i--)
            {
                var above = text.Line(i);
                length += above.Length + 1;
                if (length > ReplyVocabulary.MaxHeaderLength || IsBlank(i) || IsQuoted(i) || text.Hint(i) != LineHint.None)
                    break;
                if (ReplyVocabulary.StartsLikeAttribution(above))
                {
                    top = i;
                    withDigit = -1;
                    break;
                }
                if (above.IndexOfAnyInRange('0', '9') >= 0)
                    withDigit = i;
            }
            if (withDigit >= 0)
                top = withDigit;
        }

        if (top == last)
        {
            kind = ReplyVocabulary.ClassifyAttribution(line);
        }
        else
        {
            Span<char> joined = stackalloc char[ReplyVocabulary.MaxHeaderLength + 1];
            var written = 0;
            for (var i = top; i <= last; i++)
            {
                var part = text.Line(i).Trim();
                if (written + part.Length + 1 > joined.Length)
                    return false;
                if (written > 0)
                    joined[written++] = ' ';
                part.CopyTo(joined[written..]);
                written += part.Length;
            }
            kind = ReplyVocabulary.ClassifyAttribution(joined[..written]);
        }
        start = top;
        return kind != AttributionKind.None;
    }

    // ---- pass 2: trailing quote blocks and signatures ----------------------------------------------

    // The start of the quote block whose last line is `last - 1`, with its attribution when one is right above it.
    private int QuoteBlockStart(int last)
    {
        var start = last;
        while (start > 0 && (IsQuoteLine(start - 1) || IsBlank(start - 1)))
            start--;
        while (IsBlank(start))
            start++;

        var above = SkipBlankUp(start);
        if (above > 0 && TryAttributionEndingAt(above - 1, out var attribution, out _))
            return attribution;
        return start;
    }

    // A signature block ending at `end` (exclusive): the topmost line within reach that starts one.
    private bool TryFindSignature(int end, out int start)
    {
        start = -1;
        for (var i = end - 1; i >= 0 && i >= end - MaxDelimitedSignatureLines; i--)
        {
            if (IsQuoted(i) || text.Hint(i) != LineHint.None)
                break;
            if (StartsSignature(i, end))
                start = i;
        }
        return start >= 0;
    }

    private bool StartsSignature(int first, int end)
    {
        var line = text.Line(first);
        if (line.IsWhiteSpace() || line.Length > ReplyVocabulary.MaxShortLineLength)
            return false;

        var lines = end - first;
        var paragraphStart = first == 0 || IsBlank(first - 1);

        // "-- " (RFC 3676), or "--" with its trailing space lost.
        if (line.TrimEnd().SequenceEqual("--"))
            return true;

        // A rule over a block of short lines: "________" above a list footer, "----------" above contact details.
        if (paragraphStart && (ReplyVocabulary.IsRule(line, 3) || ReplyVocabulary.IsRule(line, 2) && line.TrimStart()[0] == '_'))
            return AllShort(first + 1, end);

        if (ReplyVocabulary.IsMobileSignature(line))
            return lines <= 3;

        // The rest reads the content, so it must leave some new text above it.
        if (firstContent >= first || lines > MaxSignatureLines)
            return false;

        // "-Abhishek": a dash and a name.
        if (paragraphStart && line.Length > 1 && line[0] == '-' && char.IsLetter(line[1]) && line.Length <= 40
            && ReplyVocabulary.CountWords(line) <= 4)
            return AllShort(first + 1, end);

        // "Stavros Xxxxxx\nvia mobile": a name above an app's signature line.
        if (paragraphStart && ReplyVocabulary.IsNameLike(line) && lines <= 3)
        {
            for (var i = first + 1; i < end && i <= first + 2; i++)
            {
                if (ReplyVocabulary.IsMobileSignature(text.Line(i)))
                    return true;
                if (!ReplyVocabulary.IsNameLike(text.Line(i)))
                    break;
            }
        }

        // "Thanks,\nAlex": a closing, then a name and maybe contact details.
        if (paragraphStart && ReplyVocabulary.IsSignOff(line) && lines >= 2)
            return ReplyVocabulary.IsNameLike(text.Line(first + 1)) && AllShort(first + 1, end);

        // A paragraph of contact details: "Gina X\ngina@example.com\n(555) 346-9947".
        if (paragraphStart && lines >= 2)
        {
            var kinds = 0;
            for (var i = first; i < end; i++)
            {
                var part = text.Line(i);
                if (part.IsWhiteSpace() || part.Length > 60 || ReplyVocabulary.CountWords(part) > 8)
                    return false;
                kinds |= ReplyVocabulary.ContactKinds(part);
            }
            var distinct = System.Numerics.BitOperations.PopCount((uint)kinds);
            return distinct >= 2 || (distinct == 1 && (kinds & 2) == 0 && ReplyVocabulary.IsNameLike(line, minWords: 2));
        }
        return false;
    }

    private bool AllShort(int first, int end) => longBefore[end] == longBefore[first];

    // ---- pass 3: bottom posting ---------------------------------------------------------------------

    // The message opens with a quote (and its attribution), new text follows, and nothing else is quoted.
    private bool TryFindLeadingQuote(int end, out int quoteEnd)
    {
        quoteEnd = 0;
        var first = 0;
        while (first < end && IsBlank(first))
            first++;
        if (first >= end)
            return false;

        var i = first;
        if (!IsQuoteLine(i))
        {
            // An attribution of up to three lines, then the quote.
            var found = false;
            for (var last = i; last < end && last < i + MaxAttributionLines; last++)
            {
                if (TryAttributionEndingAt(last, out var start, out _) && start == first)
                {
                    i = last + 1;
                    found = true;
                    break;
                }
            }
            if (!found)
                return false;
            while (i < end && IsBlank(i))
                i++;
            if (i >= end || !IsQuoted(i))
                return false;
        }

        while (i < end && (IsQuoteLine(i) || IsBlank(i)))
            i++;
        for (var j = i; j < end; j++)
        {
            if (IsQuoted(j) || text.Hint(j) != LineHint.None)
                return false;
        }
        quoteEnd = i;
        return text.Slice(i, end) is not null;
    }

    private int SkipBlankUp(int end)
    {
        while (end > 0 && IsBlank(end - 1))
            end--;
        return end;
    }
}
