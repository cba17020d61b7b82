using System.Data.Common;
using System.Reflection;
using MimeKit.Cryptography;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509;

namespace Mailing.Toolkit.Security.Internal;

/// <summary>
/// Reads a MimeKit SQLite certificate database at start. MimeKit's own lookup of a SQLite provider (by assembly name)
/// tries only System.Data.SQLite and Mono.Data.Sqlite on .NET 5 and later, so the connection is made here from
/// Microsoft.Data.Sqlite's factory, found the same way (by name), so the core package does not depend on SQLite's
/// native library: an application that uses the database references Microsoft.Data.Sqlite (or Mailing.Toolkit.Sqlite).
/// </summary>
internal static class SMimeCertificateDatabase
{
    private const string FactoryType = "Microsoft.Data.Sqlite.SqliteFactory, Microsoft.Data.Sqlite";

    public static List<X509CertificateRecord> Read(string file, string? password, string where, string passwordWhere, List<string> errors)
    {
        var records = new List<X509CertificateRecord>();
        if (string.IsNullOrEmpty(password))
        {
            errors.Add($"{passwordWhere} is required with {where}: it encrypts the private keys in the database.");
            return records;
        }

        if (!File.Exists(file))
        {
            errors.Add($"{where}: no database at '{file}'.");
            return records;
        }

        if (Factory() is not { } factory)
        {
            errors.Add($"{where} needs the Microsoft.Data.Sqlite package at run time: reference it, or Mailing.Toolkit.Sqlite, from the application.");
            return records;
        }

        try
        {
            var builder = factory.CreateConnectionStringBuilder()!;
            builder["Data Source"] = file;
            builder["Mode"] = "ReadWrite";
            var connection = factory.CreateConnection()!;
            connection.ConnectionString = builder.ConnectionString;
            using var database = new SqliteCertificateDatabase(connection, password);
            var fields = X509CertificateRecordFields.Certificate | X509CertificateRecordFields.PrivateKey | X509CertificateRecordFields.Trusted;
            records.AddRange(database.Find((ISelector<X509Certificate>?)null, false, fields));
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException
            or Org.BouncyCastle.Crypto.InvalidCipherTextException or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException
            or Org.BouncyCastle.Asn1.Asn1Exception or Org.BouncyCastle.Pkcs.PkcsException)
        {
            errors.Add($"{where}: '{file}' cannot be read: {passwordWhere} is wrong, or it is not a MimeKit certificate database ({e.GetType().Name}).");
            records.Clear();
        }

        return records;
    }

    private static DbProviderFactory? Factory()
    {
        try
        {
            return Type.GetType(FactoryType, throwOnError: false)?.GetField("Instance", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as DbProviderFactory;
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException or TypeLoadException or TargetInvocationException)
        {
            return null;
        }
    }
}
