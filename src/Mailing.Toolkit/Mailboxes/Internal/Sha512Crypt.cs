using System.Security.Cryptography;
using System.Text;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>
/// SHA512-CRYPT (<c>$6$</c>, Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512", the scheme glibc's crypt(3)
/// and Dovecot's <c>{SHA512-CRYPT}</c> verify), written from the published algorithm. Checked against
/// <c>openssl passwd -6</c> and Python's <c>crypt</c> in the tests.
/// </summary>
internal static class Sha512Crypt
{
    public const int DefaultRounds = 5000;
    public const int MinRounds = 1000;
    public const int MaxRounds = 999_999_999;

    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Hashes with a fresh 16-character random salt.</summary>
    public static string Hash(string password, int rounds)
    {
        Span<char> salt = stackalloc char[16];
        for (var i = 0; i < salt.Length; i++)
            salt[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return Hash(password, salt.ToString(), rounds);
    }

    /// <summary>The crypt string for <paramref name="password"/> with <paramref name="salt"/> (first 16 characters used).</summary>
    public static string Hash(string password, string salt, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, MinRounds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rounds, MaxRounds);
        var key = Encoding.UTF8.GetBytes(password);
        var saltBytes = Encoding.UTF8.GetBytes(salt.Length > 16 ? salt[..16] : salt);

        var b = Sha512(key, saltBytes, key);
        using var a = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        a.AppendData(key);
        a.AppendData(saltBytes);
        AppendRepeated(a, b, key.Length);
        for (var n = key.Length; n > 0; n >>= 1)
            a.AppendData((n & 1) != 0 ? b : key);
        var result = a.GetHashAndReset();

        var p = Sequence(key, key.Length, key.Length);
        var s = Sequence(saltBytes, 16 + result[0], saltBytes.Length);
        using var c = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var round = 0; round < rounds; round++)
        {
            c.AppendData((round & 1) != 0 ? p : result);
            if (round % 3 != 0)
                c.AppendData(s);
            if (round % 7 != 0)
                c.AppendData(p);
            c.AppendData((round & 1) != 0 ? result : p);
            result = c.GetHashAndReset();
        }

        var output = new StringBuilder("$6$");
        if (rounds != DefaultRounds)
            output.Append("rounds=").Append(rounds).Append('$');
        output.Append(Encoding.UTF8.GetString(saltBytes)).Append('$');
        // The byte order of the encoding: triples (i, i + 21, i + 42) with the three rotated by one each step.
        for (var i = 0; i < 21; i++)
        {
            int[] order = (i % 3) switch
            {
                0 => [i, i + 21, i + 42],
                1 => [i + 21, i + 42, i],
                _ => [i + 42, i, i + 21],
            };
            Encode(output, result[order[0]], result[order[1]], result[order[2]], 4);
        }

        Encode(output, 0, 0, result[63], 2);
        return output.ToString();
    }

    private static byte[] Sha512(params byte[][] parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        foreach (var part in parts)
            hash.AppendData(part);
        return hash.GetHashAndReset();
    }

    /// <summary>Appends <paramref name="length"/> bytes of <paramref name="block"/> repeated.</summary>
    private static void AppendRepeated(IncrementalHash hash, byte[] block, int length)
    {
        for (; length > block.Length; length -= block.Length)
            hash.AppendData(block);
        hash.AppendData(block, 0, length);
    }

    /// <summary>The digest of <paramref name="input"/> taken <paramref name="times"/> times, repeated to <paramref name="length"/> bytes.</summary>
    private static byte[] Sequence(byte[] input, int times, int length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < times; i++)
            hash.AppendData(input);
        var digest = hash.GetHashAndReset();
        var sequence = new byte[length];
        for (var i = 0; i < length; i++)
            sequence[i] = digest[i % digest.Length];
        return sequence;
    }

    private static void Encode(StringBuilder output, byte b2, byte b1, byte b0, int count)
    {
        var w = (b2 << 16) | (b1 << 8) | b0;
        for (var i = 0; i < count; i++)
        {
            output.Append(Alphabet[w & 0x3f]);
            w >>= 6;
        }
    }
}
