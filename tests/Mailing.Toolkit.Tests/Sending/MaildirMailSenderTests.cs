using Mailing.Toolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Mailing.Toolkit.Tests.Sending;

public sealed class MaildirMailSenderTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "mailing-maildir-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task SendAsync_WritesOneCompleteFileIntoNewAndLeavesTmpEmpty()
    {
        await using var provider = Build();
        var message = SenderFactory.Message(subject: "Invoice");
        message.Bcc.Add("audit@example.test");
        message.Attachments.Add(MailAttachment.FromBytes([1, 2, 3, 4], "invoice.pdf"));

        var result = await provider.GetRequiredService<IMailSender>().SendAsync(message);

        var file = Assert.Single(Directory.GetFiles(Path.Combine(root, "new")));
        Assert.Equal(file, result.Response);
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "tmp")));
        Assert.True(Directory.Exists(Path.Combine(root, "cur")));
        var text = await File.ReadAllTextAsync(file);
        Assert.StartsWith("Return-Path: <app@example.test>\nX-Envelope-To: <alice@example.test>\nX-Envelope-To: <audit@example.test>\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Bcc:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n", text, StringComparison.Ordinal);
        var parsed = await MimeMessage.LoadAsync(file);
        Assert.Equal("Invoice", parsed.Subject);
        var attachment = Assert.IsType<MimePart>(Assert.Single(parsed.Attachments));
        using var content = new MemoryStream();
        await attachment.Content!.DecodeToAsync(content);
        Assert.Equal([1, 2, 3, 4], content.ToArray());
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentSends_EachGetsAUniqueFile()
    {
        await using var provider = Build();
        var sender = provider.GetRequiredService<IMailSender>();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sender.SendAsync(SenderFactory.Message(subject: $"m{i}"))));

        var files = Directory.GetFiles(Path.Combine(root, "new"));
        Assert.Equal(200, files.Length);
        Assert.All(files, f => Assert.DoesNotContain(':', Path.GetFileName(f)));
    }

    [Fact]
    public async Task SendAsync_FolderCannotBeWritten_ThrowsDeliveryExceptionAndLeavesNothingBehind()
    {
        await using var provider = Build();
        var sender = provider.GetRequiredService<IMailSender>();
        Directory.Delete(Path.Combine(root, "new"));
        await File.WriteAllTextAsync(Path.Combine(root, "new"), "a file where the folder should be");

        var ex = await Assert.ThrowsAsync<MailDeliveryException>(() => sender.SendAsync(SenderFactory.Message()));

        Assert.Equal("io", ex.ErrorType);
        Assert.Contains(root, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "tmp")));
    }

    private ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddMailing(o => o.DefaultFrom = "app@example.test").AddMaildirSender(root);
        return services.BuildServiceProvider();
    }
}
