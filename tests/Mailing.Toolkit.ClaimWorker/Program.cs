using System.Security.Cryptography.X509Certificates;
using Mailing.Toolkit;
using Mailing.Toolkit.Receiving;
using Microsoft.Extensions.DependencyInjection;

// Usage: ClaimWorker <host> <port> <user> <password> <server-cert.pem> <claim-folder> <state-file> <lease-ms> <batch-size> <handler-delay-ms>
// Receives with a claim folder until the arrival folder stays empty, printing "handled <Message-ID>" before and
// "acked <Message-ID>" after each acknowledgement, so the test that kills this process knows what it had handled.
if (args.Length != 10)
{
    Console.Error.WriteLine("usage: ClaimWorker <host> <port> <user> <password> <server-cert.pem> <claim-folder> <state-file> <lease-ms> <batch-size> <handler-delay-ms>");
    return 2;
}

var handlerDelay = TimeSpan.FromMilliseconds(int.Parse(args[9], System.Globalization.CultureInfo.InvariantCulture));
using var serverCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(args[4]));
var services = new ServiceCollection();
services.AddMailing().AddImapReceiver(
    imap =>
    {
        imap.Host = args[0];
        imap.Port = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        imap.UserName = args[2];
        imap.Password = args[3];
        imap.ServerCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(serverCertificate.RawData);
        imap.CheckCertificateRevocation = false;
    },
    receiver =>
    {
        receiver.ClaimFolder = args[5];
        receiver.StateFilePath = args[6];
        receiver.ClaimLease = TimeSpan.FromMilliseconds(int.Parse(args[7], System.Globalization.CultureInfo.InvariantCulture));
        receiver.BatchSize = int.Parse(args[8], System.Globalization.CultureInfo.InvariantCulture);
        receiver.ReconnectBaseDelay = TimeSpan.FromMilliseconds(100);
    });
await using var provider = services.BuildServiceProvider();
var mail = provider.GetRequiredService<IMailReceiver>();
Console.Out.Flush();
for (var idle = 0; idle < 3;)
{
    var any = false;
    await foreach (var received in mail.ReceiveAsync())
    {
        any = true;
        await using var stream = await received.OpenReadAsync();
        var message = await MimeKit.MimeMessage.LoadAsync(stream);
        Console.WriteLine($"handled {message.MessageId}");
        await Task.Delay(handlerDelay);
        await mail.AcknowledgeAsync(received, MailDisposition.MarkSeen);
        Console.WriteLine($"acked {message.MessageId}");
    }

    idle = any ? 0 : idle + 1;
    if (!any)
        await Task.Delay(200);
}

return 0;
