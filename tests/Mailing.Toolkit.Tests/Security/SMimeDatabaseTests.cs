using System.Text;
using Mailing.Toolkit.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.X509;

namespace Mailing.Toolkit.Tests.Security;

/// <summary>Identities, recipients and trust anchors from a MimeKit SQLite certificate database with encrypted private keys.</summary>
public sealed class SMimeDatabaseTests
{
    private const string Password = "database-secret";

    [SkippableFact]
    public async Task Database_IdentityAnchorAndRecipient_DecryptVerifyAndEncrypt()
    {
        using var temp = new SMimeTemp();
        var file = CreateDatabase(temp);
        await using var host = SMimeHost.Build(o =>
        {
            o.CertificateDatabasePath = file;
            o.CertificateDatabasePassword = Password;
            o.Encrypt = SMimeEncryptPolicy.Always;
        });

        // Incoming: signed by Alice (the trusted CA is in the database), encrypted to Bob (his key is in the database).
        var signed = await OpenSsl.MustAsync("smime", "-sign", "-in", temp.Write("entity.txt", SMimeMessages.Entity("From the database.")),
            "-signer", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"));
        var encrypted = await OpenSsl.MustAsync("smime", "-encrypt", "-aes256", "-in", temp.Write("signed.eml", signed), SMimeTestData.File("bob.crt"));
        var mail = await host.ParseAsync(SMimeMessages.WithHeaders(encrypted));
        Assert.Equal("From the database.", mail.TextBody?.Trim());
        Assert.True(mail.Protection!.IsDecrypted);
        Assert.True(mail.Protection.IsSignatureValid);

        // Outgoing: from Bob to Alice, whose certificate is in the database.
        var sent = await host.SendAsync(SMimeHost.Message(from: "bob@example.test", to: "alice@example.test"));
        var plain = await OpenSsl.MustAsync("smime", "-decrypt", "-in", temp.Write("sent.eml", sent), "-recip", SMimeTestData.File("alice.crt"), "-inkey", SMimeTestData.File("alice.key"));
        var content = Encoding.UTF8.GetString(await OpenSsl.MustAsync("smime", "-verify", "-CAfile", SMimeTestData.File("ca.crt"), "-in", temp.Write("inner.eml", plain)));
        Assert.Contains("the invoice is attached.", content, StringComparison.Ordinal);

        // The private key is stored encrypted: its DER encoding (the private exponent within it) is nowhere in the file,
        // while the certificates, which are public, are stored as they are.
        var bytes = File.ReadAllBytes(file);
        var exponent = ((Org.BouncyCastle.Crypto.Parameters.RsaPrivateCrtKeyParameters)Key("bob")).Exponent.ToByteArrayUnsigned();
        Assert.Equal(-1, bytes.AsSpan().IndexOf(exponent.AsSpan(0, 32)));
        Assert.NotEqual(-1, bytes.AsSpan().IndexOf(Certificate("bob").GetEncoded()));
    }

    [Fact]
    public async Task Database_WrongPassword_FailsAtStartNamingThePassword()
    {
        using var temp = new SMimeTemp();
        var file = CreateDatabase(temp);
        await using var host = SMimeHost.Build(o =>
        {
            o.CertificateDatabasePath = file;
            o.CertificateDatabasePassword = "wrong-one";
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Provider.GetRequiredService<IOptions<SMimeOptions>>().Value).Message;

        Assert.Contains("Mailing:SMime:CertificateDatabasePassword is wrong", error, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-one", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Database_MissingFile_FailsAtStart()
    {
        await using var host = SMimeHost.Build(o =>
        {
            o.CertificateDatabasePath = "/nonexistent/certs.db";
            o.CertificateDatabasePassword = Password;
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Provider.GetRequiredService<IOptions<SMimeOptions>>().Value).Message;

        Assert.Contains("Mailing:SMime:CertificateDatabasePath: no database at '/nonexistent/certs.db'", error, StringComparison.Ordinal);
    }

    private static string CreateDatabase(SMimeTemp temp)
    {
        var file = Path.Combine(temp.Path, "certs.db");
        using var database = new SqliteCertificateDatabase(new SqliteConnection($"Data Source={file}"), Password);
        database.Add(new X509CertificateRecord(Certificate("bob"), Key("bob")));
        database.Add(new X509CertificateRecord(Certificate("alice")));
        database.Add(new X509CertificateRecord(Certificate("ca")) { IsTrusted = true });
        SqliteConnection.ClearAllPools();
        return file;
    }

    private static X509Certificate Certificate(string name) => new X509CertificateParser().ReadCertificate(File.ReadAllBytes(SMimeTestData.File(name + ".crt")));

    private static AsymmetricKeyParameter Key(string name)
    {
        using var reader = File.OpenText(SMimeTestData.File(name + ".key"));
        return new PemReader(reader).ReadObject() switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter key => key,
            var other => throw new InvalidOperationException(other?.GetType().Name),
        };
    }
}
