using System.Text;

namespace WorkerInbox;

/// <summary>Example messages for a fresh inbox, so the first run has something to do.</summary>
internal static class ExampleMail
{
    private static readonly string[] Messages =
    [
        """
        Return-Path: <bob@example.org>
        Delivered-To: support@shop.example
        From: Bob Buyer <bob@example.org>
        To: Example Shop Support <support@shop.example>
        Subject: Order 1042 arrived damaged
        Message-ID: <order-1042-damaged@example.org>
        Date: Fri, 27 Nov 2026 09:15:00 +0100
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8

        Hello,

        the mug from order 1042 arrived with a broken handle. A photo is attached.
        Can you send a replacement?

        Bob
        --b1
        Content-Type: image/png
        Content-Disposition: attachment; filename="broken-mug.png"
        Content-Transfer-Encoding: base64

        iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==
        --b1--
        """,
        """
        Return-Path: <carol@example.net>
        Delivered-To: support+orders@shop.example
        From: Carol Client <carol@example.net>
        To: support+orders@shop.example
        Subject: Re: Your order 1043 has shipped
        Message-ID: <re-1043@example.net>
        In-Reply-To: <shipped-1043@shop.example>
        References: <shipped-1043@shop.example>
        Date: Fri, 27 Nov 2026 10:02:00 +0100
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Thanks! Could you deliver it to my office address instead?

        On Thu, 26 Nov 2026 at 18:00, Example Shop <shop@shop.example> wrote:
        > Your order 1043 has shipped and arrives on Monday.
        > Example Shop
        """,
        """
        Return-Path: <bounces@news.example.com>
        Delivered-To: info@shop.example
        From: Industry News <news@news.example.com>
        To: info@shop.example
        Subject: This week in retail
        Message-ID: <weekly-48@news.example.com>
        List-Id: Retail weekly <weekly.news.example.com>
        Precedence: bulk
        Date: Fri, 27 Nov 2026 06:00:00 +0000
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Ten trends for the holiday season.
        """,
    ];

    /// <summary>Creates the Maildir with the example messages in new/, when it does not exist yet.</summary>
    public static void SeedOnFirstRun(string maildir)
    {
        if (Directory.Exists(maildir))
            return;
        var tmp = Directory.CreateDirectory(Path.Combine(maildir, "tmp")).FullName;
        var @new = Directory.CreateDirectory(Path.Combine(maildir, "new")).FullName;
        Directory.CreateDirectory(Path.Combine(maildir, "cur"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < Messages.Length; i++)
        {
            // Written to tmp/ and renamed into new/, as a delivery agent does; CRLF line ends, as on the wire.
            var name = $"{now}.M{i}P{Environment.ProcessId}.workerinbox";
            File.WriteAllText(Path.Combine(tmp, name), Messages[i].ReplaceLineEndings("\r\n") + "\r\n", new UTF8Encoding(false));
            File.Move(Path.Combine(tmp, name), Path.Combine(@new, name));
        }

        Console.WriteLine($"Seeded {maildir} with {Messages.Length} example messages.");
    }
}
