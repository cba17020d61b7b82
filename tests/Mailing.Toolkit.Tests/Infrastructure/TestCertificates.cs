using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mailing.Toolkit.Tests.Infrastructure;

/// <summary>A self-signed localhost certificate made once per test run, and a validation callback that pins it.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> Server = new(Create);

    public static X509Certificate2 Localhost => Server.Value;

    /// <summary>Accepts exactly the test certificate, nothing else: the way to trust a private server without disabling validation.</summary>
    public static bool PinLocalhost(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && certificate.GetCertHashString() == Localhost.GetCertHashString();

    private static X509Certificate2 Create()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Round-trip through PFX so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
