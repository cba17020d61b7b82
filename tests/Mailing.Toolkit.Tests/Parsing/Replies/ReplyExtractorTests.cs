using Mailing.Toolkit.Parsing;
using Mailing.Toolkit.Parsing.Internal.Replies;

namespace Mailing.Toolkit.Tests.Parsing.Replies;

/// <summary>Reply extraction for each client style and language, in plain text and HTML.</summary>
public sealed class ReplyExtractorTests
{
    private const string Original = "Could you send me the report by Friday?";

    // ---- plain text: attributions -------------------------------------------------------------

    public static TheoryData<string> Attributions => new()
    {
        "On Mon, Mar 12, 2018 at 10:00 AM John Smith <john@example.com> wrote:", // en Gmail
        "On 12 Mar 2018, at 10:00, John Smith <john@example.com> wrote:", // en Apple Mail
        "pon., 12 mar 2018 o 10:00 Jan Kowalski <jan@example.pl> napisał(a):", // pl Gmail
        "W dniu 12.03.2018 o 10:00, Jan Kowalski pisze:", // pl Thunderbird
        "Am Mo., 12. März 2018 um 10:00 Uhr schrieb Hans Müller <hans@example.de>:", // de Gmail
        "Am 12.03.2018 um 10:00 schrieb Hans Müller:", // de Thunderbird
        "Le lun. 12 mars 2018 à 10:00, Jean Dupont <jean@example.fr> a écrit :", // fr Gmail
        "El lun., 12 mar. 2018 a las 10:00, Juan García (<juan@example.es>) escribió:", // es Gmail
        "Il giorno lun 12 mar 2018 alle ore 10:00 Mario Rossi <mario@example.it> ha scritto:", // it Gmail
        "Op ma 12 mrt. 2018 om 10:00 schreef Jan de Vries <jan@example.nl>:", // nl Gmail
        "Em seg., 12 de mar. de 2018 às 10:00, João Silva <joao@example.com.br> escreveu:", // pt Gmail
        "Den mån 12 mars 2018 kl 10:00 skrev Sven Svensson <sven@example.se>:", // sv Gmail
        "пн, 12 мар. 2018 г. в 10:00, Иван Иванов <ivan@example.ru>:", // ru Gmail
        "12.03.2018 10:00, Иван Иванов пишет:", // ru Thunderbird
        "12.03.2018 10:00 пользователь \"Иван Иванов\" <ivan@example.ru> написал:", // ru Android
        "пн, 12 бер. 2018 о 10:00 Іван Петренко <ivan@example.ua> пише:", // uk Gmail
        "12 березня 2018 р. о 10:00 <ivan@example.ua> написав:", // uk Android
        "12 Mar 2018 Pzt, saat 10:00 tarihinde Ahmet Yılmaz <ahmet@example.com.tr> şunu yazdı:", // tr Gmail
        "Kovács János <janos@example.hu> ezt írta (időpont: 2018. márc. 12., H, 10:00):", // hu Gmail, verb first
        "În lun., 12 mar. 2018 la 10:00, Ion Popescu <ion@example.ro> a scris:", // ro Gmail
        "Στις Δευ, 12 Μαρ 2018 στις 10:00, ο/η Γιώργος Παπάς <giorgos@example.gr> έγραψε:", // el Gmail
        "po 12. 3. 2018 o 10:00 Ján Novák <jan@example.sk> napísal(a):", // sk Gmail
        "El dl., 12 de març 2018 a les 10:00, Jordi Puig (<jordi@example.cat>) va escriure:", // ca Gmail
        "Den man. 12. mar. 2018 kl. 10.00 skrev Jens Hansen <jens@example.dk>:", // da Gmail
        "ma 12. maalisk. 2018 klo 10.00 Matti Virtanen <matti@example.fi> kirjoitti:", // fi Gmail
        "po 12. 3. 2018 v 10:00 odesílatel Jan Novák <jan@example.cz> napsal:", // cs Gmail
        "张三 <zhangsan@example.cn> 于2018年3月12日周一 上午10:00写道：", // zh Gmail (full-width colon)
        "2018年3月12日(月) 10:00 山田太郎 <taro@example.jp>:", // ja Gmail, no verb
        "2018/03/12 10:00、山田太郎 <taro@example.jp> のメッセージ:", // ja Apple Mail
        "2018년 3월 12일 (월) 오전 10:00, 김철수 <chulsoo@example.kr>님이 작성:", // ko Gmail
    };

    [Theory]
    [MemberData(nameof(Attributions))]
    public void Extract_PlainTextAttributionAboveQuote_SplitsAtAttribution(string attribution)
    {
        var parts = Extract($"Sure, here it is.\n\n{attribution}\n\n> {Original}\n>\n");

        Assert.Equal("Sure, here it is.", parts.VisibleText);
        Assert.Equal($"{attribution}\n\n> {Original}\n>", parts.QuotedText);
        Assert.Null(parts.Signature);
    }

    public static TheoryData<string> UnquotedAttributions => new()
    {
        "2014-03-20 8:48 GMT+01:00 Rémi Dolan <remi@example.com>:", // Gmail, date and time, no verb
        "Wednesday, 17 November 2021, 3:32 PM +0300 from john@example.com <john@example.com>:", // mail.ru
        "30.09.2017, 18.30, \"John Doe\" <john@example.com>:", // a dotted time
        "---- On Wed, 24 Feb 2021 14:02:50 +0530 john@example.com wrote ----", // Zoho, between dashes
        "2016/11/08 14:26、Test user <test@example.com> のメッセージ:", // Japanese
        "在 2016年11月8日，下午2:23，Test user <test@example.com> 写道：", // Chinese Apple Mail
    };

    [Theory]
    [MemberData(nameof(UnquotedAttributions))]
    public void Extract_AttributionAboveAnUnmarkedQuote_EverythingFromItIsQuoted(string attribution)
    {
        var parts = Extract($"Thank you very much.\n\n{attribution}\n\n{Original}\n");

        Assert.Equal("Thank you very much.", parts.VisibleText);
        Assert.Equal($"{attribution}\n\n{Original}", parts.QuotedText);
    }

    [Fact]
    public void Extract_AttributionOverThreeLinesWithAHexAddress_StartsAtItsFirstLine()
    {
        // "416ffd...@..." starts with digits but is no date: the attribution starts at "On".
        var parts = Extract("Test reply\n\nOn Nov 30, 2011, at 12:47 PM, Somebody <\n416ffd3258d4d2fa4c85cfa4c44e1721d66e3e8f4@somebody.example.com>\nwrote:\n\nTest message\n");

        Assert.Equal("Test reply", parts.VisibleText);
        Assert.StartsWith("On Nov 30, 2011", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_AttributionStartingWithATimeWrappedOverTwoLines_StartsAtTheTime()
    {
        var parts = Extract("Sure.\n\n11:00 AM, November 17, 2021, \"John Acme\"\n<john@example.com>:\n\n> Could you send me the report?\n");

        Assert.Equal("Sure.", parts.VisibleText);
        Assert.StartsWith("11:00 AM", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_DateAndAddressWithoutColonRightAboveAQuote_IsTheAttribution()
    {
        var parts = Extract("Replying ok\n2011/4/7 Nathan Nova <support@example.com>\n\n>  Cool beans\n");

        Assert.Equal("Replying ok", parts.VisibleText);
        Assert.StartsWith("2011/4/7", parts.QuotedText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Thanks! On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi", "Thanks!")]
    [InlineData("Thanks!--- On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi", "Thanks!")]
    [InlineData("Sure.\nbla - bla--- On Wed, Apr 4, 2012 at 3:59 PM, bob@example.com wrote:\n> Hi", "Sure.\nbla - bla")]
    public void Extract_AttributionOnTheReplysLastLine_IsSplitOff(string body, string visible)
    {
        var parts = Extract(body);

        Assert.Equal(visible, parts.VisibleText);
        Assert.StartsWith("On Wed", parts.QuotedText!.TrimStart('-', ' '), StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_QuotedAttributionInsideAQuote_StaysOneQuotedLine()
    {
        var parts = Extract("Hello\n\nOn Tue, Apr 3, 2012 at 4:55 PM, xxx wrote:\n\n> Hello\n> On Apr 3, 2012, at 4:19 PM, bob wrote:\n> > Hi");

        Assert.Contains("> On Apr 3, 2012, at 4:19 PM, bob wrote:", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_AttributionEndingInSent_IsAnAttribution()
    {
        var parts = Extract("Test reply\n\nOn 11-Apr-2011, at 6:54 PM, Roman <roman@example.com> sent:\n\n> Test\n");

        Assert.Equal("Test reply", parts.VisibleText);
    }

    [Fact]
    public void Extract_DateAndAddressWithoutTimeAboveUnmarkedText_IsNotAnAttribution()
    {
        // Without a clock time, a date and an address ending in a colon count only right above a quote.
        var parts = Extract("Please send the invoice.\n\n12.03.2018 Billing <billing@example.com>:\n\nthe address for invoices.");

        Assert.Null(parts.QuotedText);
    }

    [Fact]
    public void Extract_QuotedLineRewrappedWithoutItsMark_StaysInTheQuote()
    {
        var parts = Extract("Thanks!\n\nOn Mon, Mar 12, 2018 at 10:00 AM John <john@example.com> wrote:\n> Could you send me the report by Friday? I need it for the d\nirectors' meeting.\n>\n> And the figures.\n");

        Assert.Equal("Thanks!", parts.VisibleText);
        Assert.Contains("irectors' meeting.", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_AnswerBetweenQuotedLines_IsNotTakenForAWrappedQuote()
    {
        // An inline answer starts with a capital letter; only a lower-case continuation of a long quoted line is joined to the quote.
        var parts = Extract("> Could you send me the report by Friday? I need it for the directors.\nYes, on Thursday.\n> And the figures?\nAttached.\n");

        Assert.Contains("Yes, on Thursday.", parts.VisibleText, StringComparison.Ordinal);
        Assert.EndsWith("Attached.", parts.VisibleText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_InvisibleCharactersAndTrailingSpaces_AreRemovedFromTheVisibleText()
    {
        var parts = Extract("Hello\u200B Anna,\u00A0 \nthe report\uFEFF is attached.\u1427   \n\nOn Mon, Mar 12, 2018 at 10:00 AM John <john@example.com> wrote:\n> x\n");

        Assert.Equal("Hello Anna,\nthe report is attached.", parts.VisibleText);
    }

    [Theory]
    [InlineData("發自我的 iPhone")]
    [InlineData("Sent from TypeApp<http://www.typeapp.com/r>")]
    [InlineData("Надіслано з iPhone")]
    [InlineData("iPhoneから送信")]
    public void Extract_MobileSignatureInOtherLanguagesAndApps_IsTheSignature(string line)
    {
        var parts = Extract($"See you at ten.\n\n{line}\n");

        Assert.Equal("See you at ten.", parts.VisibleText);
        Assert.Equal(line, parts.Signature);
    }

    [Fact]
    public void Extract_AttributionWrappedOverTwoLines_QuoteStartsAtFirstLine()
    {
        var parts = Extract($"Sure.\n\nOn Mon, Mar 12, 2018 at 10:00 AM John Smith <\njohn@example.com> wrote:\n\n> {Original}\n");

        Assert.Equal("Sure.", parts.VisibleText);
        Assert.StartsWith("On Mon, Mar 12, 2018", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_AttributionWithoutQuoteMarks_EverythingBelowIsQuoted()
    {
        var parts = Extract($"Sure.\n\nOn Mon, Mar 12, 2018 at 10:00 AM, John Smith <john@example.com> wrote:\n\n{Original}\n\nJohn");

        Assert.Equal("Sure.", parts.VisibleText);
        Assert.EndsWith("John", parts.QuotedText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("In 1890 Mark Twain wrote:")]
    [InlineData("Here is what the manual says:")]
    [InlineData("On your server, run this:")]
    public void Extract_ColonLineThatIsNoAttribution_StaysVisible(string line)
    {
        var body = $"Hi,\n\n{line}\n\nThe quick brown fox jumps over the lazy dog.\n\nBye";

        var parts = Extract(body);

        Assert.Equal(body, parts.VisibleText);
        Assert.Null(parts.QuotedText);
    }

    // ---- plain text: Outlook ---------------------------------------------------------------------

    public static TheoryData<string> OutlookHeaders => new()
    {
        "From: John Smith <john@example.com>\nSent: Monday, March 12, 2018 10:00 AM\nTo: Anna\nSubject: Report", // en
        "*From:* John Smith [mailto:john@example.com]\n*Sent:* Monday, March 12, 2018 10:00 AM\n*To:* Anna\n*Subject:* Report", // en bold
        "Od: Jan Kowalski <jan@example.pl>\nWysłano: poniedziałek, 12 marca 2018 10:00\nDo: Anna\nTemat: Raport", // pl
        "Von: Hans Müller <hans@example.de>\nGesendet: Montag, 12. März 2018 10:00\nAn: Anna\nBetreff: Bericht", // de
        "De : Jean Dupont <jean@example.fr>\nEnvoyé : lundi 12 mars 2018 10:00\nÀ : Anna\nObjet : Rapport", // fr
        "De: Juan García <juan@example.es>\nEnviado el: lunes, 12 de marzo de 2018 10:00\nPara: Anna\nAsunto: Informe", // es
        "Da: Mario Rossi <mario@example.it>\nInviato: lunedì 12 marzo 2018 10:00\nA: Anna\nOggetto: Rapporto", // it
        "Van: Jan de Vries <jan@example.nl>\nVerzonden: maandag 12 maart 2018 10:00\nAan: Anna\nOnderwerp: Rapport", // nl
        "De: João Silva <joao@example.com.br>\nEnviada em: segunda-feira, 12 de março de 2018 10:00\nPara: Anna\nAssunto: Relatório", // pt
        "Från: Sven Svensson <sven@example.se>\nSkickat: den 12 mars 2018 10:00\nTill: Anna\nÄmne: Rapport", // sv
        "От: Иван Иванов <ivan@example.ru>\nОтправлено: 12 марта 2018 г. 10:00\nКому: Анна\nТема: Отчёт", // ru
    };

    [Theory]
    [MemberData(nameof(OutlookHeaders))]
    public void Extract_OutlookHeaderBlock_SplitsAtHeaderAndItsRule(string header)
    {
        var parts = Extract($"Attached.\n\n________________________________\n{header}\n\n{Original}\n");

        Assert.Equal("Attached.", parts.VisibleText);
        Assert.StartsWith("________________________________\n", parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith(Original, parts.QuotedText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-----Original Message-----")]
    [InlineData("----- Original Message -----")]
    [InlineData("-----Ursprüngliche Nachricht-----")]
    [InlineData("-----Message d'origine-----")]
    [InlineData("-----Mensaje original-----")]
    [InlineData("-----Messaggio originale-----")]
    [InlineData("-----Oorspronkelijk bericht-----")]
    [InlineData("-----Mensagem original-----")]
    [InlineData("-----Ursprungligt meddelande-----")]
    [InlineData("-----Oryginalna wiadomość-----")]
    [InlineData("-----Исходное сообщение-----")]
    [InlineData("---------- Forwarded message ---------")]
    [InlineData("-------- Original Message --------")] // en Thunderbird
    [InlineData("*-------- Original Message --------*")] // decorated
    [InlineData("_____ Original Message _____")]
    [InlineData("-------- Oprindelig meddelelse --------")] // da
    [InlineData("-------- Opprinnelig melding --------")] // nb
    [InlineData("-------- Alkuperäinen viesti --------")] // fi
    [InlineData("-------- Původní zpráva --------")] // cs
    [InlineData("-------- Pôvodná správa --------")] // sk
    [InlineData("-------- Orijinal mesaj --------")] // tr
    [InlineData("-------- Eredeti üzenet --------")] // hu
    [InlineData("-------- Mesaj original --------")] // ro
    [InlineData("-------- Αρχικό μήνυμα --------")] // el
    [InlineData("-------- Початкове повідомлення --------")] // uk
    [InlineData("-------- 原始邮件 --------")] // zh-Hans
    [InlineData("-------- 原始郵件 --------")] // zh-Hant
    [InlineData("-------- 元のメッセージ --------")] // ja
    [InlineData("-------- 원본 메시지 --------")] // ko
    public void Extract_OriginalMessageSeparator_SplitsThere(string separator)
    {
        var parts = Extract($"See below.\n\n{separator}\nFrom: john@example.com\n\n{Original}");

        Assert.Equal("See below.", parts.VisibleText);
        Assert.StartsWith(separator, parts.QuotedText, StringComparison.Ordinal);
    }

    // ---- plain text: quote layouts -------------------------------------------------------------

    [Fact]
    public void Extract_BottomPosting_ReplyBelowTheOnlyQuote()
    {
        var parts = Extract($"On 12.03.2018 10:00, John Smith wrote:\n> {Original}\n\nYes, on Thursday.\n\n-- \nAnna");

        Assert.Equal("Yes, on Thursday.", parts.VisibleText);
        Assert.Equal($"On 12.03.2018 10:00, John Smith wrote:\n> {Original}", parts.QuotedText);
        Assert.Equal("-- \nAnna", parts.Signature);
    }

    [Fact]
    public void Extract_InlineAnswers_AreVisibleInOrderAndEveryQuoteIsInTheQuotedText()
    {
        var body = "On Mon, Mar 12, 2018 at 10:00 AM John <john@example.com> wrote:\n> Report by Friday?\n\nYes.\n\n> And the slides?\n\nMonday.\n\n> Thanks,\n> John";

        var parts = Extract(body);

        Assert.Equal("Yes.\nMonday.", parts.VisibleText);
        Assert.Equal("On Mon, Mar 12, 2018 at 10:00 AM John <john@example.com> wrote:\n> Report by Friday?\n\n> And the slides?\n\n> Thanks,\n> John", parts.QuotedText);
    }

    [Fact]
    public void Extract_TwentyThousandInlineAnswers_AllAnswersVisibleAndAllQuotesQuoted()
    {
        // Each quote is joined once into the result (no string built again per block).
        var body = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"> question {i}\n\nanswer {i}\n\n"));

        var parts = Extract(body);

        Assert.StartsWith("answer 0\nanswer 1\n", parts.VisibleText, StringComparison.Ordinal);
        Assert.EndsWith("answer 19999", parts.VisibleText, StringComparison.Ordinal);
        Assert.Equal(20_000, parts.QuotedText!.Split("\n\n").Length);
    }

    [Theory]
    [InlineData("---------- Forwarded message ---------")]
    [InlineData("-------- Weitergeleitete Nachricht --------")]
    [InlineData("-------- Message transféré --------")]
    [InlineData("---------- Mensaje reenviado ----------")]
    [InlineData("Begin forwarded message:")]
    public void Extract_Forward_NoteIsVisibleAndTheForwardedMessageIsTheQuote(string separator)
    {
        var parts = Extract($"FYI, see below.\n\n{separator}\nFrom: Anna <anna@example.com>\nDate: Mon, 12 Mar 2018 10:00\nSubject: Report\nTo: Bob <bob@example.com>\n\n{Original}\n");

        Assert.Equal("FYI, see below.", parts.VisibleText);
        Assert.StartsWith(separator, parts.QuotedText, StringComparison.Ordinal);
        Assert.True(parts.IsForward);
        Assert.False(parts.IsQuoteOnly);
    }

    [Fact]
    public void Extract_ForwardWithoutANote_IsQuoteOnly()
    {
        var parts = Extract($"---------- Forwarded message ---------\nFrom: Anna <anna@example.com>\nDate: Mon, 12 Mar 2018 10:00\nSubject: Report\n\n{Original}\n");

        Assert.Equal(string.Empty, parts.VisibleText);
        Assert.True(parts.IsForward);
        Assert.True(parts.IsQuoteOnly);
    }

    [Fact]
    public void Extract_OriginalMessageSeparator_IsAReplyNotAForward()
    {
        var parts = Extract($"Done.\n\n-----Original Message-----\nFrom: Anna <anna@example.com>\nSent: Monday, March 12, 2018 10:00 AM\nTo: Bob\nSubject: Report\n\n{Original}\n");

        Assert.Equal("Done.", parts.VisibleText);
        Assert.False(parts.IsForward);
    }

    [Fact]
    public void Extract_NothingButAQuote_IsQuoteOnlyWithEmptyVisibleText()
    {
        var parts = Extract($"On Mon, Mar 12, 2018 at 10:00 AM John <john@example.com> wrote:\n> {Original}\n");

        Assert.Equal(string.Empty, parts.VisibleText);
        Assert.True(parts.IsQuoteOnly);
    }

    [Fact]
    public void Extract_OneQuoteMarkLineInsideText_StaysText()
    {
        var parts = Extract("... while talking to mx.example.com.:\n>>> DATA\n<<< 550 5.1.1 User unknown\n");

        Assert.Contains(">>> DATA", parts.VisibleText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_NestedQuoteMarks_AreOneQuote()
    {
        var parts = Extract("Agreed.\n\n> > first\n> second\n>> third");

        Assert.Equal("Agreed.", parts.VisibleText);
        Assert.Equal("> > first\n> second\n>> third", parts.QuotedText);
    }

    [Fact]
    public void Extract_WindowsLineEndings_AreNormalized()
    {
        var parts = Extract("Sure.\r\n\r\nOn 12 Mar 2018, at 10:00, John <john@example.com> wrote:\r\n\r\n> Hi\r\n");

        Assert.Equal("Sure.", parts.VisibleText);
        Assert.Equal("On 12 Mar 2018, at 10:00, John <john@example.com> wrote:\n\n> Hi", parts.QuotedText);
    }

    // ---- plain text: signatures -------------------------------------------------------------------

    [Theory]
    [InlineData("Sent from my iPhone")]
    [InlineData("Sent from my Samsung Galaxy smartphone.")]
    [InlineData("Sent from my BlackBerry 10 smartphone.")]
    [InlineData("Sent from Mail for Windows 10")]
    [InlineData("Get Outlook for Android")]
    [InlineData("Von meinem iPhone gesendet")]
    [InlineData("Envoyé de mon iPhone")]
    [InlineData("Wysłane z iPhone'a")]
    [InlineData("Enviado desde mi iPhone")]
    [InlineData("Inviato da iPhone")]
    [InlineData("Verzonden vanaf mijn iPhone")]
    [InlineData("Enviado do meu iPhone")]
    [InlineData("Skickat från min iPhone")]
    [InlineData("Отправлено с iPhone")]
    public void Extract_MobileSignature_IsTheSignature(string line)
    {
        var parts = Extract($"Ok, thanks.\n\n{line}\n\nOn 12 Mar 2018, at 10:00, John <john@example.com> wrote:\n\n> Hi");

        Assert.Equal("Ok, thanks.", parts.VisibleText);
        Assert.Equal(line, parts.Signature);
        Assert.StartsWith("On 12 Mar 2018", parts.QuotedText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Thanks,\nAlex")]
    [InlineData("Best regards,\nJohn Smith\nACME Corp")]
    [InlineData("Pozdrawiam,\nJan Kowalski")]
    [InlineData("Mit freundlichen Grüßen\nHans Müller")]
    [InlineData("Cordialement,\nJean Dupont")]
    [InlineData("Saludos,\nJuan")]
    [InlineData("Cordiali saluti,\nMario Rossi")]
    [InlineData("Met vriendelijke groet,\nJan de Vries")]
    [InlineData("Atenciosamente,\nJoão Silva")]
    [InlineData("Med vänliga hälsningar\nSven Svensson")]
    [InlineData("С уважением,\nИван Иванов")]
    [InlineData("-- \nJohn Smith\nAnything goes below the delimiter: 555 0100")]
    [InlineData("-John")]
    public void Extract_SignatureBlock_IsSplitOff(string signature)
    {
        var parts = Extract($"The report is attached.\n\n{signature}");

        Assert.Equal("The report is attached.", parts.VisibleText);
        Assert.Equal(signature, parts.Signature);
        Assert.Null(parts.QuotedText);
    }

    [Theory]
    [InlineData("Thanks!")]
    [InlineData("Sent from my desk, which is nicer than my phone.")]
    [InlineData("See https://example.com/a\nand https://example.com/b")]
    [InlineData("   - first bullet\n   - second bullet")]
    public void Extract_EndingThatIsNoSignature_StaysVisible(string ending)
    {
        var body = $"The report is attached.\n\n{ending}";

        var parts = Extract(body);

        Assert.Equal(body, parts.VisibleText);
        Assert.Null(parts.Signature);
    }

    [Fact]
    public void Extract_OnlyContactDetails_AreNotAllTakenAsSignature()
    {
        var parts = Extract("Anna Nowak\nanna@example.com\n+48 555 123 456");

        Assert.Equal("Anna Nowak\nanna@example.com\n+48 555 123 456", parts.VisibleText);
        Assert.Null(parts.Signature);
    }

    // ---- HTML ----------------------------------------------------------------------------------------

    [Fact]
    public void Extract_GmailHtml_CutsAtGmailQuote()
    {
        var html = "<div dir=\"ltr\">Thanks!</div><br><div class=\"gmail_quote gmail_quote_container\"><div dir=\"ltr\" class=\"gmail_attr\">"
            + "Am Mo., 12. März 2018 um 10:00 Uhr schrieb Hans &lt;<a href=\"mailto:hans@example.de\">hans@example.de</a>&gt;:<br></div>"
            + "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">"
            + "<div dir=\"ltr\">Hallo</div></blockquote></div>";

        var parts = ExtractHtml(html);

        Assert.Equal("Thanks!", parts.VisibleText);
        Assert.StartsWith("Am Mo., 12. März 2018", parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith("> Hallo", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_GmailHtmlAttributionInAnUnknownLanguage_RecognizedByItsContainer()
    {
        var html = "<div>了解しました。</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">2018年3月12日(月) 10:00 Taro &lt;taro@example.jp&gt;:<br></div>"
            + "<blockquote class=\"gmail_quote\">こんにちは</blockquote></div>";

        var parts = ExtractHtml(html);

        Assert.Equal("了解しました。", parts.VisibleText);
        Assert.StartsWith("2018年3月12日", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_GmailHtmlInlineAnswers_AreVisibleAndTheirQuotesAreNot()
    {
        var html = "<div>See inline.</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon, Mar 12, 2018 at 10:00 AM John &lt;john@example.com&gt; wrote:</div>"
            + "<blockquote class=\"gmail_quote\">Report by Friday?</blockquote><div>Yes, Thursday.</div>"
            + "<blockquote class=\"gmail_quote\">Thanks, John</blockquote></div>";

        var parts = ExtractHtml(html);

        Assert.Equal("See inline.\nYes, Thursday.", parts.VisibleText);
        Assert.Contains("> Report by Friday?", parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith("> Thanks, John", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_GmailIndentation_IsNoQuote()
    {
        var html = "<div>Look at this:</div><blockquote style=\"margin:0 0 0 40px;border:none;padding:0px\"><div>indented text</div></blockquote>";

        var parts = ExtractHtml(html);

        Assert.Equal("Look at this:\nindented text", parts.VisibleText);
        Assert.Null(parts.QuotedText);
    }

    [Theory]
    [InlineData("From:", "Sent:", "To:", "Subject:")]
    [InlineData("Von:", "Gesendet:", "An:", "Betreff:")]
    [InlineData("Od:", "Wysłano:", "Do:", "Temat:")]
    public void Extract_OutlookDesktopHtml_CutsAtTopBorderBox(string from, string sent, string to, string subject)
    {
        var html = "<html><body><div class=WordSection1><p class=MsoNormal>Done, see attached.<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
            + "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>"
            + $"<b>{from}</b> John Smith &lt;john@example.com&gt;<br><b>{sent}</b> 12.03.2018 10:00<br><b>{to}</b> Anna<br><b>{subject}</b> Report</p></div>"
            + $"<p class=MsoNormal>{Original}</p></div></body></html>";

        var parts = ExtractHtml(html);

        Assert.Equal("Done, see attached.", parts.VisibleText);
        Assert.StartsWith(from, parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith(Original, parts.QuotedText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<div id=\"appendonsend\"></div><hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">")]
    [InlineData("<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">")]
    [InlineData("")]
    public void Extract_OutlookWebHtml_CutsAtReplyForwardHeader(string before)
    {
        var html = $"<div>Will do.</div>{before}<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri\"><b>From:</b> John Smith<br>"
            + $"<b>Sent:</b> Monday, March 12, 2018 10:00 AM<br><b>Subject:</b> Report</font></div><div>{Original}</div>";

        var parts = ExtractHtml(html);

        Assert.Equal("Will do.", parts.VisibleText);
        Assert.Contains("From: John Smith", parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith(Original, parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_AppleMailHtml_AttributionInsideCitedBlockquote()
    {
        var html = "<html><body><div>Sounds good.</div><div><br><blockquote type=\"cite\"><div>On 12 Mar 2018, at 10:00, John &lt;john@example.com&gt; wrote:</div>"
            + $"<br><div>{Original}</div></blockquote></div><br></body></html>";

        var parts = ExtractHtml(html);

        Assert.Equal("Sounds good.", parts.VisibleText);
        Assert.StartsWith("> On 12 Mar 2018", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_ThunderbirdHtmlBottomPosted_ReplyBelowQuote()
    {
        var html = "<body><div class=\"moz-cite-prefix\">Am 12.03.2018 um 10:00 schrieb John Smith:<br></div>"
            + $"<blockquote type=\"cite\" cite=\"mid:1@example.com\">{Original}</blockquote><p>Yes, Thursday.</p><pre class=\"moz-signature\" cols=\"72\">-- \nAnna</pre></body>";

        var parts = ExtractHtml(html);

        Assert.Equal("Yes, Thursday.", parts.VisibleText);
        Assert.Equal("--\nAnna", parts.Signature);
        Assert.StartsWith("Am 12.03.2018 um 10:00 schrieb John Smith:", parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_YahooHtml_CutsAtYahooQuoted()
    {
        var html = "<div class=\"ydp1\"><div>Sure.</div></div><div id=\"yahoo_quoted_1234\" class=\"yahoo_quoted\"><div style=\"font-family:Helvetica\">"
            + "<div>On Monday, March 12, 2018, 10:00:00 AM GMT+1, John Smith &lt;john@example.com&gt; wrote:</div><div><br></div>"
            + $"<div><div>{Original}</div></div></div></div>";

        var parts = ExtractHtml(html);

        Assert.Equal("Sure.", parts.VisibleText);
        Assert.StartsWith("On Monday, March 12, 2018", parts.QuotedText, StringComparison.Ordinal);
        Assert.EndsWith(Original, parts.QuotedText, StringComparison.Ordinal);
    }

    [Fact]
    public void Extract_HtmlMobileSignatureAboveQuote_IsTheSignature()
    {
        var html = "<div>Ok</div><div><br></div><div>Sent from my iPhone</div><div><br>On 12 Mar 2018, at 10:00, John &lt;john@example.com&gt; wrote:<br><br></div>"
            + "<blockquote type=\"cite\"><div>Hi</div></blockquote>";

        var parts = ExtractHtml(html);

        Assert.Equal("Ok", parts.VisibleText);
        Assert.Equal("Sent from my iPhone", parts.Signature);
        Assert.Equal("On 12 Mar 2018, at 10:00, John <john@example.com> wrote:\n\n> Hi", parts.QuotedText);
    }

    [Fact]
    public void Extract_UnclosedBlockquote_QuoteRunsToTheEnd()
    {
        var parts = ExtractHtml("<p>Reply</p><blockquote type=cite><div>quoted <div>deeper");

        Assert.Equal("Reply", parts.VisibleText);
        Assert.Equal("> quoted\n> deeper", parts.QuotedText);
    }

    // ---- inputs and limits ------------------------------------------------------------------------------

    [Fact]
    public void Extract_NoBodies_ReturnsNull()
    {
        Assert.Null(ReplyExtractor.Extract(null, null));
        Assert.Null(ReplyExtractor.Extract(string.Empty, string.Empty));
    }

    [Fact]
    public void Extract_BlankTextAndHtml_UsesHtml()
    {
        var parts = ReplyExtractor.Extract("  \n ", "<p>From HTML</p>");

        Assert.Equal("From HTML", parts?.VisibleText);
    }

    [Fact]
    public void Extract_TextAndHtml_PrefersText()
    {
        var parts = ReplyExtractor.Extract("From text", "<p>From HTML</p>");

        Assert.Equal("From text", parts?.VisibleText);
    }

    [Fact]
    public void Extract_TextLongerThanLimit_ExaminesOnlyTheLimit()
    {
        var line = new string('a', 99) + "\n";
        var body = string.Concat(Enumerable.Repeat(line, ReplyExtractor.MaxTextLength / line.Length + 100));

        var parts = Extract(body);

        Assert.True(parts.VisibleText.Length <= ReplyExtractor.MaxTextLength);
        Assert.True(parts.VisibleText.Length > ReplyExtractor.MaxTextLength - line.Length);
    }

    [Fact]
    public void Extract_ManySignatureLikeBlocks_PeelsOnlyAFew()
    {
        var body = "Real text.\n" + string.Concat(Enumerable.Repeat("\n-- \nsig\n", 1000));

        var parts = Extract(body);

        Assert.StartsWith("Real text.", parts.VisibleText, StringComparison.Ordinal);
        Assert.Contains("--\nsig", parts.VisibleText, StringComparison.Ordinal);
        Assert.NotNull(parts.Signature);
        Assert.True(parts.Signature.Split('\n').Length <= 8 * ReplySplitter.MaxDelimitedSignatureLines, "a bounded number of blocks is peeled off the end");
    }

    [Fact]
    public void Extract_DeeplyNestedHtml_Completes()
    {
        var html = "<p>Top</p>" + string.Concat(Enumerable.Repeat("<blockquote type=cite><div class=gmail_quote>", 20_000)) + "deep";

        var parts = ExtractHtml(html);

        Assert.Equal("Top", parts.VisibleText);
        Assert.NotNull(parts.QuotedText);
        Assert.EndsWith("deep", parts.QuotedText.TrimEnd('>', ' ', '\n'), StringComparison.Ordinal);
    }

    private static ReplyParts Extract(string text)
    {
        var parts = ReplyExtractor.Extract(text, null);
        Assert.NotNull(parts);
        return parts;
    }

    private static ReplyParts ExtractHtml(string html)
    {
        var parts = ReplyExtractor.Extract(null, html);
        Assert.NotNull(parts);
        return parts;
    }

    [Theory]
    [InlineData("<html><body><p>Thanks, that works.</p><p>-- <br>Alex</p></body></html>")]
    [InlineData("<div>Sure.<br><br>On Mon, 2 Mar 2026 at 10:00, Ann &lt;ann@example.test&gt; wrote:<br>&gt; Lunch?</div>")]
    [InlineData("<table><tr><td>Order 1042</td><td>shipped</td></tr></table><p>Sent from my iPhone</p>")]
    public void Extract_HtmlWithoutQuoteContainer_SameFromTheParsersRendering(string html)
    {
        var rendered = Mailing.Toolkit.Text.HtmlToText.Convert(html);

        Assert.False(HtmlQuoteSegmenter.MayContainQuote(html));
        Assert.Equal(ReplyExtractor.Extract(null, html), ReplyExtractor.Extract(null, html, rendered));
    }

    [Theory]
    [InlineData("<p>x</p><blockquote type=cite>y</blockquote>")]
    [InlineData("<p>x</p><div class=\"x_gmail_quote\">y</div>")]
    [InlineData("<p>x</p><HR><p>From: a</p>")]
    [InlineData("<div style=\"BORDER-TOP: solid 1pt\">From: a</div>")]
    [InlineData("<div id=\"divRplyFwdMsg\">From: a</div>")]
    public void MayContainQuote_QuoteContainers_AreSeen(string html) => Assert.True(HtmlQuoteSegmenter.MayContainQuote(html));
}
