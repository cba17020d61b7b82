using System.Diagnostics;
using Mailing.Toolkit.Mailboxes.Internal;

namespace Mailing.Toolkit.Tests.Mailboxes;

/// <summary>SHA512-CRYPT against the algorithm's published vector and two independent implementations (OpenSSL, Python's crypt).</summary>
public sealed class Sha512CryptTests
{
    [Fact]
    public void Hash_PublishedVector_Matches()
    {
        // From "Unix crypt using SHA-256 and SHA-512" (Drepper), the first SHA-512 test vector.
        Assert.Equal("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            Sha512Crypt.Hash("Hello world!", "saltstring", Sha512Crypt.DefaultRounds));
    }

    [SkippableTheory]
    [InlineData("Correct-Horse-42-battery", "abcdefghijklmnop")]
    [InlineData("Grüße, 日本語 ✓", "./09AZaz")]
    [InlineData("x", "s")]
    [InlineData("a much longer password that spans more than sixty-four bytes of input, twice over: 0123456789", "longsaltlongsalt")]
    public void Hash_DefaultRounds_EqualsOpenSsl(string password, string salt)
    {
        var openssl = Run("openssl", "passwd", "-6", "-salt", salt, password);

        Assert.Equal(openssl, Sha512Crypt.Hash(password, salt, Sha512Crypt.DefaultRounds));
    }

    [SkippableTheory]
    [InlineData("Correct-Horse-42-battery", "abcdefghijklmnop", 1000)]
    [InlineData("Grüße ✓", "saltstring", 12345)]
    [InlineData("Another-Strong-77-pass", "0123456789abcdef", 100000)]
    public void Hash_CustomRounds_EqualsPythonCrypt(string password, string salt, int rounds)
    {
        var python = Run("python3", "-W", "ignore", "-c", "import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))", password, $"$6$rounds={rounds}${salt}$");

        Assert.Equal(python, Sha512Crypt.Hash(password, salt, rounds));
    }

    [Fact]
    public void Hash_FreshSalt_DiffersEachTimeAndRoundsOutOfRangeAreRefused()
    {
        Assert.NotEqual(Sha512Crypt.Hash("same password", 5000), Sha512Crypt.Hash("same password", 5000));
        Assert.Matches(@"^\$6\$rounds=20000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$", Sha512Crypt.Hash("same password", 20000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha512Crypt.Hash("x", 999));
    }

    private static string Run(string program, params string[] arguments)
    {
        var path = new[] { "/usr/bin", "/bin", "/usr/local/bin" }.Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
        Skip.If(path is null, $"{program} is not installed (the CI installs it)");
        var start = new ProcessStartInfo(path!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output;
    }
}
