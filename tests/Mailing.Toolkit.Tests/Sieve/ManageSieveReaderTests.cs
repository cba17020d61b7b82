using System.Text;
using Mailing.Toolkit.Sieve;
using Mailing.Toolkit.Sieve.Internal;

namespace Mailing.Toolkit.Tests.Sieve;

public sealed class ManageSieveReaderTests
{
    [Fact]
    public async Task ReadLine_CapabilityQuotedWithEscapes_DecodesTheStrings()
    {
        var line = await Read("\"IMPLEMENTATION\" \"Say \\\"hi\\\" \\\\ Grüße\"\r\n");

        Assert.Equal([new SieveToken(SieveTokenKind.String, "IMPLEMENTATION"), new SieveToken(SieveTokenKind.String, "Say \"hi\" \\ Grüße")], line);
    }

    [Fact]
    public async Task ReadLine_Literal_KeepsItsLineBreaksAndBytes()
    {
        var line = await Read("{12}\r\nkeep;\r\nstop;\r\n");

        Assert.Equal([new SieveToken(SieveTokenKind.String, "keep;\r\nstop;", IsLiteral: true)], line);
    }

    [Fact]
    public async Task Response_WithCodeArgumentAndText_IsParsed()
    {
        var response = ManageSieveResponse.TryParse(await Read("NO (QUOTA/MAXSIZE) \"Script is too large\"\r\n"));
        var sasl = ManageSieveResponse.TryParse(await Read("OK (SASL \"dj1yZXNwb25zZQ==\")\r\n"));
        var data = ManageSieveResponse.TryParse(await Read("\"script\" ACTIVE\r\n"));

        Assert.Equal(new ManageSieveResponse("NO", "QUOTA/MAXSIZE", null, "Script is too large"), response);
        Assert.Equal(new ManageSieveResponse("OK", "SASL", "dj1yZXNwb25zZQ==", null), sasl);
        Assert.Null(data);
    }

    [Fact]
    public async Task ReadLine_LongerThanTheLimit_Throws()
    {
        var error = await Assert.ThrowsAsync<ManageSieveException>(() => Read("\"" + new string('x', 200) + "\"\r\n", maxLine: 100));

        Assert.Contains("longer than 100 bytes", error.Message);
    }

    [Fact]
    public async Task ReadLine_LiteralOverTheLimit_ThrowsBeforeReadingIt()
    {
        var error = await Assert.ThrowsAsync<ManageSieveException>(() => Read("{5000}\r\n", maxLiteral: 4096));

        Assert.Contains("more than 4096 bytes", error.Message);
    }

    [Theory]
    [InlineData("\"open\r\n")]
    [InlineData("OK\rX")]
    [InlineData("{abc}\r\n")]
    [InlineData("{3}x")]
    public async Task ReadLine_Malformed_ThrowsANamedError(string input)
    {
        var error = await Assert.ThrowsAsync<ManageSieveException>(() => Read(input));

        Assert.Contains("not ManageSieve", error.Message);
    }

    [Fact]
    public async Task ReadLine_ConnectionClosedMidLine_Throws()
    {
        var error = await Assert.ThrowsAsync<ManageSieveException>(() => Read("OK \"unfinished"));

        Assert.Contains("closed the connection", error.Message);
    }

    [Fact]
    public void Command_NamesAndContent_AreLiteralsCountedInUtf8BytesAndContentIsNotLogged()
    {
        var command = new ManageSieveCommand("PUTSCRIPT").ScriptName("naïve \"x\"").Content("keep;\r\n# ✓\r\n");

        var wire = Encoding.UTF8.GetString(command.ToBytes());

        Assert.Equal("PUTSCRIPT {10+}\r\nnaïve \"x\" {14+}\r\nkeep;\r\n# ✓\r\n\r\n", wire);
        Assert.Equal("PUTSCRIPT \"naïve \"x\"\" <14 bytes>", command.LogText);
        Assert.Equal("AUTHENTICATE \"PLAIN\" \"***\"", new ManageSieveCommand("AUTHENTICATE").Quoted("PLAIN", secret: false).Quoted("AGFsaWNlAHNlY3JldA==", secret: true).LogText);
    }

    private static async Task<List<SieveToken>> Read(string input, int maxLine = 1024, long maxLiteral = 4096)
    {
        var reader = new ManageSieveReader(new MemoryStream(Encoding.UTF8.GetBytes(input)), maxLine, maxLiteral);
        return await reader.ReadLineAsync(CancellationToken.None);
    }
}
