using System.Collections.Frozen;

namespace Mailing.Toolkit.Parsing.Internal.Replies;

/// <summary>
/// The words mail clients write around quotes and signatures, in English, Polish, German, French, Spanish,
/// Catalan, Italian, Dutch, Portuguese, Swedish, Danish, Norwegian, Finnish, Czech, Slovak, Russian, Ukrainian,
/// Turkish, Hungarian, Romanian, Greek, Chinese, Japanese and Korean, and the line tests built on them. Every test
/// looks at one line or a few short ones, with a length check first, so each costs a bounded amount of work whatever
/// the input.
/// </summary>
internal static class ReplyVocabulary
{
    /// <summary>The longest quote header considered, all its lines joined.</summary>
    public const int MaxHeaderLength = 400;

    /// <summary>The longest line a signature, sign-off or separator line may be.</summary>
    public const int MaxShortLineLength = 80;

    // Verbs that end an attribution line: "On <date>, <name> wrote:", "Le <date>, <name> a écrit :".
    // CJK verbs ("写道", "のメッセージ", "작성") may follow a name without a space.
    private static readonly string[] EndVerbs =
    [
        "wrote", "writes", "sent", "napisał(a)", "napisała", "napisał", "pisze", "schrieb", "a écrit", "escribió", "escribio",
        "ha escrit", "va escriure", "ha scritto", "schreef", "escreveu", "skrev", "написал(а)", "написала", "написал",
        "пишет", "написав", "пише", "kirjoitti", "napsal(a)", "napsala", "napsal", "napísal(a)", "napísala",
        "napísal", "yazdı", "írta", "a scris", "έγραψε", "写道", "寫道", "のメッセージ", "は書きました", "작성",
    ];

    // Verbs in the middle of an attribution: "Am <date> schrieb <name>:", "Op <date> schreef <name>:", "Den <date> skrev <name>:".
    private static readonly string[] MiddleVerbs = [" schrieb ", " schreef ", " skrev "];

    // First words of attribution lines; a line starting with a digit (a date) counts too.
    private static readonly FrozenSet<string> Openers = FrozenSet.ToFrozenSet(
        ["On", "Am", "Le", "El", "Il", "Op", "Em", "Den", "På", "Dnia", "Dne", "Dňa", "W", "В", "У", "Pe", "În", "Στις", "Tarihinde"], StringComparer.Ordinal);

    // The separator phrases that introduce a forwarded message: the text in between the dashes.
    private static readonly string[] ForwardPhrases =
    [
        "forwarded message", "wiadomość przekazana dalej", "przekazana wiadomość", "weitergeleitete nachricht", "message transféré",
        "mensaje reenviado", "messaggio inoltrato", "doorgestuurd bericht", "mensagem encaminhada", "vidarebefordrat meddelande",
        "пересылаемое сообщение", "пересланное сообщение", "転送メッセージ", "전달된 메시지",
    ];

    // "-----Original Message-----" and its translations, and the forwarded-message phrases, each with whether it forwards.
    private static readonly FrozenDictionary<string, bool> SeparatorPhrases = new[]
    {
        "original message", "reply message",
        "wiadomość oryginalna", "oryginalna wiadomość",
        "ursprüngliche nachricht",
        "message d'origine", "message d’origine", "message original",
        "mensaje original",
        "messaggio originale",
        "oorspronkelijk bericht", "origineel bericht",
        "mensagem original",
        "ursprungligt meddelande",
        "исходное сообщение",
        "original meddelelse", "oprindelig meddelelse", "opprinnelig melding", "alkuperäinen viesti", "původní zpráva",
        "pôvodná správa", "orijinal mesaj", "eredeti üzenet", "mesaj original", "αρχικό μήνυμα", "початкове повідомлення",
        "原始邮件", "原始郵件", "元のメッセージ", "원본 메시지",
    }.Select(phrase => (phrase, Forward: false))
        .Concat(ForwardPhrases.Select(phrase => (phrase, Forward: true)))
        .ToFrozenDictionary(entry => entry.phrase, entry => entry.Forward, StringComparer.OrdinalIgnoreCase);

    // Field labels of the header block Outlook and webmail clients write above the quoted message.
    private static readonly FrozenDictionary<string, HeaderField> Labels = new Dictionary<string, HeaderField>(StringComparer.OrdinalIgnoreCase)
    {
        ["from"] = HeaderField.From, ["od"] = HeaderField.From, ["von"] = HeaderField.From, ["de"] = HeaderField.From,
        ["da"] = HeaderField.From, ["van"] = HeaderField.From, ["från"] = HeaderField.From, ["от"] = HeaderField.From,
        ["fra"] = HeaderField.From, ["lähettäjä"] = HeaderField.From, ["от кого"] = HeaderField.From,
        ["sent"] = HeaderField.Sent, ["date"] = HeaderField.Sent, ["wysłano"] = HeaderField.Sent, ["wysłane"] = HeaderField.Sent,
        ["data"] = HeaderField.Sent, ["gesendet"] = HeaderField.Sent, ["datum"] = HeaderField.Sent, ["envoyé"] = HeaderField.Sent,
        ["enviado"] = HeaderField.Sent, ["enviado el"] = HeaderField.Sent, ["enviada"] = HeaderField.Sent, ["fecha"] = HeaderField.Sent, ["inviato"] = HeaderField.Sent,
        ["verzonden"] = HeaderField.Sent, ["skickat"] = HeaderField.Sent, ["отправлено"] = HeaderField.Sent, ["дата"] = HeaderField.Sent,
        ["sendt"] = HeaderField.Sent, ["lähetetty"] = HeaderField.Sent, ["message du"] = HeaderField.Sent, ["envoyé le"] = HeaderField.Sent,
        ["发件人"] = HeaderField.From, ["寄件者"] = HeaderField.From, ["差出人"] = HeaderField.From, ["보낸 사람"] = HeaderField.From,
        ["kimden"] = HeaderField.From, ["feladó"] = HeaderField.From, ["від"] = HeaderField.From, ["od koho"] = HeaderField.From,
        ["发送时间"] = HeaderField.Sent, ["日期"] = HeaderField.Sent, ["傳送時間"] = HeaderField.Sent, ["送信日時"] = HeaderField.Sent,
        ["보낸 날짜"] = HeaderField.Sent, ["tarih"] = HeaderField.Sent, ["elküldve"] = HeaderField.Sent, ["dátum"] = HeaderField.Sent,
        ["надіслано"] = HeaderField.Sent, ["odesláno"] = HeaderField.Sent,
        ["to"] = HeaderField.To, ["do"] = HeaderField.To, ["an"] = HeaderField.To, ["à"] = HeaderField.To, ["a"] = HeaderField.To,
        ["para"] = HeaderField.To, ["aan"] = HeaderField.To, ["till"] = HeaderField.To, ["кому"] = HeaderField.To,
        ["til"] = HeaderField.To, ["vastaanottaja"] = HeaderField.To, ["收件人"] = HeaderField.To, ["收件者"] = HeaderField.To,
        ["宛先"] = HeaderField.To, ["받는 사람"] = HeaderField.To, ["kime"] = HeaderField.To, ["címzett"] = HeaderField.To,
        ["komu"] = HeaderField.To,
        ["subject"] = HeaderField.Subject, ["temat"] = HeaderField.Subject, ["betreff"] = HeaderField.Subject, ["objet"] = HeaderField.Subject,
        ["asunto"] = HeaderField.Subject, ["oggetto"] = HeaderField.Subject, ["onderwerp"] = HeaderField.Subject, ["assunto"] = HeaderField.Subject,
        ["ämne"] = HeaderField.Subject, ["тема"] = HeaderField.Subject, ["emne"] = HeaderField.Subject, ["aihe"] = HeaderField.Subject,
        ["sujet"] = HeaderField.Subject, ["主题"] = HeaderField.Subject, ["主旨"] = HeaderField.Subject, ["件名"] = HeaderField.Subject,
        ["제목"] = HeaderField.Subject, ["konu"] = HeaderField.Subject, ["tárgy"] = HeaderField.Subject, ["předmět"] = HeaderField.Subject,
        ["cc"] = HeaderField.Cc, ["dw"] = HeaderField.Cc, ["kopie"] = HeaderField.Cc, ["копия"] = HeaderField.Cc, ["copie à"] = HeaderField.Cc,
        ["抄送"] = HeaderField.Cc, ["副本"] = HeaderField.Cc, ["참조"] = HeaderField.Cc, ["másolat"] = HeaderField.Cc,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // Lines mobile and webmail apps append: "Sent from my iPhone", "Von meinem iPhone gesendet".
    private static readonly string[] MobilePrefixes =
    [
        "sent from ", "sent with ", "sent via ", "sent using ", "sent on the go", "get outlook for ", "via mobile",
        "wysłane z ", "wysłano z ", "wysłane przy ", "von meinem ", "gesendet von ", "gesendet mit ", "envoyé de mon ",
        "envoyé depuis ", "envoyé à partir de ", "enviado desde ", "enviado con ", "inviato da ", "verzonden vanaf ",
        "verstuurd vanaf ", "verzonden met ", "enviado do ", "enviado de ", "skickat från ", "sendt fra ", "отправлено с ",
        "отправлено из ", "lähetetty ", "надіслано з ", "odesláno z ", "odoslané z ", "iphone'umdan gönderildi",
        "iphone'dan gönderildi", "elküldve ", "trimis de pe ", "发自我的", "發自我的", "寄自我的", "從我的", "iphoneから送信", "내 iphone에서", "나의 iphone에서",
    ];

    // The prefixes by their first letter: a line is compared with the few that can match, not with all of them.
    private static readonly FrozenDictionary<char, string[]> MobilePrefixesByFirstLetter = MobilePrefixes
        .GroupBy(prefix => char.ToLowerInvariant(prefix[0]))
        .ToFrozenDictionary(group => group.Key, group => group.ToArray());

    // Closings that, followed by a name, start a signature: "Thanks,\nAlex".
    private static readonly FrozenSet<string> SignOffs = FrozenSet.ToFrozenSet(
    [
        "thanks", "thank you", "thanks a lot", "many thanks", "thanks again", "thx", "cheers", "best", "best wishes",
        "regards", "best regards", "kind regards", "warm regards", "warmest regards", "sincerely", "yours", "yours truly",
        "yours sincerely", "all the best", "take care", "br",
        "pozdrawiam", "z pozdrowieniami", "serdecznie pozdrawiam", "pozdrowienia", "dziękuję", "dzięki",
        "mit freundlichen grüßen", "mit freundlichen grüssen", "freundliche grüße", "viele grüße", "beste grüße",
        "liebe grüße", "grüße", "gruß", "mfg", "lg", "danke", "vielen dank",
        "cordialement", "bien cordialement", "bien à vous", "salutations", "merci", "merci beaucoup", "amitiés",
        "saludos", "un saludo", "saludos cordiales", "atentamente", "gracias", "muchas gracias", "cordialmente",
        "cordiali saluti", "distinti saluti", "saluti", "un saluto", "grazie", "grazie mille",
        "met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet", "groeten", "groet", "bedankt", "mvg",
        "atenciosamente", "cumprimentos", "abraços", "abraço", "obrigado", "obrigada", "att",
        "med vänliga hälsningar", "vänliga hälsningar", "hälsningar", "mvh", "tack",
        "с уважением", "спасибо", "всего доброго", "всего хорошего", "с наилучшими пожеланиями",
    ], StringComparer.OrdinalIgnoreCase);

    // Lower-case particles allowed inside a name: "Ludwig van Beethoven", "Maria de la Cruz".
    private static readonly FrozenSet<string> NameParticles = FrozenSet.ToFrozenSet(
        ["van", "von", "der", "den", "de", "da", "di", "del", "la", "le", "du", "dos", "das", "y", "e"], StringComparer.Ordinal);

    /// <summary>The kind of a field in a quoted-message header block.</summary>
    public enum HeaderField : byte
    {
        None,
        From,
        Sent,
        To,
        Subject,
        Cc,
    }

    /// <summary>Whether <paramref name="line"/> is a "-----Original Message-----" style separator (or a forwarded-message one).</summary>
    public static bool IsOriginalMessageSeparator(ReadOnlySpan<char> line) => Separator(line) is not null;

    /// <summary>Whether <paramref name="line"/> is a separator that starts a forwarded message.</summary>
    public static bool IsForwardSeparator(ReadOnlySpan<char> line) => Separator(line) == true;

    // Null when the line is no separator; otherwise whether it starts a forwarded message.
    private static bool? Separator(ReadOnlySpan<char> line)
    {
        line = line.Trim();
        if (line.Length is < 10 or > MaxShortLineLength)
            return null;

        // "-----Original Message-----", "----- Original Message -----", "Begin forwarded message:"; also decorated
        // ("*-------- Original Message --------*") or drawn with underscores ("_____ Original Message _____").
        if (line.StartsWith("Begin forwarded message", StringComparison.OrdinalIgnoreCase))
            return true;
        line = line.Trim('*').Trim();
        if (line.Length < 3 || line[0] is not ('-' or '_') || line[^1] is not ('-' or '_'))
            return null;
        var inner = line.Trim("-_").Trim();
        return SeparatorPhrases.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(inner, out var forward) ? forward : null;
    }

    /// <summary>Whether <paramref name="line"/> is a rule: only dashes, underscores, equals signs or asterisks (at least <paramref name="minLength"/>).</summary>
    public static bool IsRule(ReadOnlySpan<char> line, int minLength)
    {
        line = line.Trim();
        if (line.Length < minLength || line.Length > 4 * MaxShortLineLength)
            return false;
        var c = line[0];
        if (c is not ('-' or '_' or '=' or '*' or '—' or '─'))
            return false;
        foreach (var ch in line)
        {
            if (ch != c)
                return false;
        }
        return true;
    }

    /// <summary>The field whose label starts <paramref name="line"/> (<c>From:</c>, <c>*Sent:*</c>, <c>Von:</c>...), or <see cref="HeaderField.None"/>.</summary>
    public static HeaderField HeaderLabel(ReadOnlySpan<char> line)
    {
        line = line.TrimStart().TrimStart('*').TrimStart();
        var colon = line[..Math.Min(line.Length, 24)].IndexOfAny(':', '：');
        if (colon <= 0)
            return HeaderField.None;
        var label = line[..colon].TrimEnd().TrimEnd('*').TrimEnd();
        return Labels.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(label, out var field) ? field : HeaderField.None;
    }

    /// <summary>Whether <paramref name="line"/> starts like an attribution: an opener word or a date.</summary>
    public static bool StartsLikeAttribution(ReadOnlySpan<char> line)
    {
        line = line.TrimStart().TrimStart('>').TrimStart();
        if (line.IsEmpty)
            return false;
        if (char.IsAsciiDigit(line[0]))
            return StartsWithDate(line);
        var space = line.IndexOfAny(' ', '\t');
        if (space <= 0)
            return false;
        var word = line[..space];
        if (word.SequenceEqual("W"))
            return line[(space + 1)..].StartsWith("dniu", StringComparison.Ordinal);
        return Openers.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word);
    }

    // A date's (or a time's) first number: one to four digits, then a separator or a CJK date mark ("12.03.2018",
    // "2011/4/7", "30 Nov", "11:00 AM", "2016年"); a hexadecimal token such as "416ffd...@example.com" is not one.
    private static bool StartsWithDate(ReadOnlySpan<char> line)
    {
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits]))
            digits++;
        return digits <= 4 && (digits == line.Length || line[digits] is '.' or '/' or '-' or ',' or ':' or ' ' or '年' or '년');
    }

    /// <summary>
    /// Classifies <paramref name="text"/> (the lines of a candidate attribution joined with spaces).
    /// </summary>
    /// <returns>
    /// <see cref="AttributionKind.WithVerb"/> for "On ... wrote:" in one of the languages, with a date, a time or an
    /// address in it; <see cref="AttributionKind.Verbless"/> for a date and an address ending in a colon
    /// ("26.06.2014, 14:41, "Alex" &lt;a@example.com&gt;:"), which only counts right above a quote;
    /// otherwise <see cref="AttributionKind.None"/>.
    /// </returns>
    public static AttributionKind ClassifyAttribution(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.Length is < 6 or > MaxHeaderLength || !IsColon(text[^1]))
            return AttributionKind.None;
        var body = text[..^1].TrimEnd();
        var hasAt = body.Contains('@');
        var hasTime = HasTime(body);
        var hasDigit = body.IndexOfAnyInRange('0', '9') >= 0;
        var opener = StartsLikeAttribution(body);

        foreach (var verb in EndVerbs)
        {
            if (body.EndsWith(verb, StringComparison.OrdinalIgnoreCase))
            {
                var before = body.Length - verb.Length;
                if (before > 0 && char.IsLetterOrDigit(body[before - 1]) && verb[0] < '\u3000')
                    continue; // "rewrote:"
                return hasAt || hasTime || (opener && hasDigit) ? AttributionKind.WithVerb : AttributionKind.None;
            }
        }

        foreach (var verb in MiddleVerbs)
        {
            if (body.Contains(verb, StringComparison.OrdinalIgnoreCase))
                return hasAt || hasTime || (opener && hasDigit) ? AttributionKind.WithVerb : AttributionKind.None;
        }

        if (!hasAt || !hasDigit || body[^1] is not ('>' or ')'))
            return AttributionKind.None;
        // A date and a clock time with the address ("2014-03-20 8:48 GMT+01:00 Name <a@example.com>:") is as sure as
        // a verb; a date alone only right above a quote.
        return hasTime || HasDottedTime(body) ? AttributionKind.DatedVerbless : AttributionKind.Verbless;
    }

    /// <summary>Whether <paramref name="c"/> ends a header or an attribution: ':' or the full-width '：'.</summary>
    public static bool IsColon(char c) => c is ':' or '：';

    /// <summary>
    /// Whether <paramref name="line"/> is an attribution between dashes, as some webmail clients write it:
    /// "---- On Wed, 24 Feb 2021 14:02:50 +0530 john@example.com wrote ----".
    /// </summary>
    public static bool IsDecoratedAttribution(ReadOnlySpan<char> line)
    {
        line = line.Trim();
        if (line.Length is < 16 or > MaxHeaderLength || !line.StartsWith("--") || !line.EndsWith("--"))
            return false;
        var inner = line.Trim('-').Trim();
        if (inner.IsEmpty)
            return false;
        Span<char> withColon = stackalloc char[inner.Length + 1];
        inner.CopyTo(withColon);
        withColon[^1] = ':';
        return ClassifyAttribution(IsColon(inner[^1]) ? inner : withColon) == AttributionKind.WithVerb;
    }

    /// <summary>Whether <paramref name="line"/> is an app's signature line such as "Sent from my iPhone".</summary>
    public static bool IsMobileSignature(ReadOnlySpan<char> line)
    {
        line = line.Trim();
        if (line.Length is < 8 or > MaxShortLineLength || line.Contains(',') || CountWords(line) > 7)
            return false;
        if (MobilePrefixesByFirstLetter.TryGetValue(char.ToLowerInvariant(line[0]), out var candidates))
        {
            foreach (var prefix in candidates)
            {
                if (line.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }
        // "Von meinem iPhone gesendet"
        return line.EndsWith(" gesendet", StringComparison.OrdinalIgnoreCase) && line.StartsWith("von ", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether <paramref name="line"/> is a closing such as "Thanks," or "Mit freundlichen Grüßen".</summary>
    public static bool IsSignOff(ReadOnlySpan<char> line)
    {
        line = line.Trim().TrimEnd(",.!;:-").TrimEnd();
        return line.Length is > 1 and <= 40 && SignOffs.GetAlternateLookup<ReadOnlySpan<char>>().Contains(line);
    }

    /// <summary>Whether <paramref name="line"/> looks like a person's name: one to four capitalized words, no digits.</summary>
    public static bool IsNameLike(ReadOnlySpan<char> line, int minWords = 1)
    {
        line = line.Trim();
        if (line.IsEmpty || line.Length > 40)
            return false;
        var words = 0;
        foreach (var range in line.Split(' '))
        {
            var word = line[range];
            if (word.IsEmpty)
                continue;
            words++;
            if (!char.IsUpper(word[0]) && !NameParticles.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word))
                return false;
            foreach (var c in word)
            {
                if (!char.IsLetter(c) && c is not ('.' or '-' or '\'' or '’'))
                    return false;
            }
        }
        return words >= minWords && words <= 4;
    }

    /// <summary>Which kinds of contact detail <paramref name="line"/> holds: 1 = e-mail address, 2 = URL, 4 = phone number.</summary>
    public static int ContactKinds(ReadOnlySpan<char> line)
    {
        var kinds = 0;
        var at = line.IndexOf('@');
        if (at > 0 && line[(at + 1)..].Contains('.'))
            kinds |= 1;
        if (line.Contains("http://", StringComparison.OrdinalIgnoreCase) || line.Contains("https://", StringComparison.OrdinalIgnoreCase)
            || line.Contains("www.", StringComparison.OrdinalIgnoreCase))
            kinds |= 2;
        int digits = 0, letters = 0;
        foreach (var c in line)
        {
            if (char.IsAsciiDigit(c))
                digits++;
            else if (char.IsLetter(c))
                letters++;
        }
        if (digits >= 7 && letters <= 8 && (kinds & 1) == 0)
            kinds |= 4;
        return kinds;
    }

    /// <summary>The number of words (runs of non-blank characters) in <paramref name="line"/>.</summary>
    public static int CountWords(ReadOnlySpan<char> line)
    {
        var words = 0;
        var inWord = false;
        foreach (var c in line)
        {
            var blank = char.IsWhiteSpace(c);
            if (!blank && !inWord)
                words++;
            inWord = !blank;
        }
        return words;
    }

    // A clock time written with a dot after a comma, as in "30.09.2017, 18.30, Name <a@example.com>".
    private static bool HasDottedTime(ReadOnlySpan<char> text)
    {
        for (var i = 2; i + 3 < text.Length; i++)
        {
            if (text[i] != '.' || !char.IsAsciiDigit(text[i - 1]) || !char.IsAsciiDigit(text[i + 1]) || !char.IsAsciiDigit(text[i + 2]) || text[i + 3] != ',')
                continue;
            var hourStart = char.IsAsciiDigit(text[i - 2]) ? i - 2 : i - 1;
            if (hourStart > 0 && text[hourStart - 1] == ' ')
                return true;
        }
        return false;
    }

    // A clock time such as 4:19 or 14:20.
    private static bool HasTime(ReadOnlySpan<char> text)
    {
        for (var i = 1; i + 2 < text.Length; i++)
        {
            if (text[i] == ':' && char.IsAsciiDigit(text[i - 1]) && char.IsAsciiDigit(text[i + 1]) && char.IsAsciiDigit(text[i + 2]))
                return true;
        }
        return false;
    }
}

/// <summary>What <see cref="ReplyVocabulary.ClassifyAttribution"/> found.</summary>
internal enum AttributionKind : byte
{
    None,
    WithVerb,

    /// <summary>A date, an address and a colon, no verb and no clock time: an attribution only right above a quote.</summary>
    Verbless,

    /// <summary>A date with a clock time and an address, no verb: an attribution wherever it stands.</summary>
    DatedVerbless,
}
