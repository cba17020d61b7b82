using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mailing.Toolkit.Tests.Receiving;

public sealed class MailboxStateStoreTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "mailing-state-" + Guid.NewGuid().ToString("N"));

    private string FilePath => Path.Combine(folder, "state.json");

    public void Dispose()
    {
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    public static TheoryData<string> Kinds => new() { "memory", "file" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UpdateAsync_ThenGetAsync_ReturnsTheStoredState(string kind)
    {
        using var owner = Create(kind, out var store);
        var updatedAt = new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

        await store.UpdateAsync("imap://a@h:993/INBOX", _ => new MailboxState { UidValidity = 42, LastUid = 7, HandledIds = ["9"], UpdatedAt = updatedAt });
        await store.UpdateAsync("pop3://a@h:995", s => (s ?? new MailboxState()) with { HandledIds = ["u1", "u2"] });

        var imap = await store.GetAsync("imap://a@h:993/INBOX");
        Assert.Equal((42L, 7L, "9", updatedAt), (imap!.UidValidity, imap.LastUid, Assert.Single(imap.HandledIds), imap.UpdatedAt));
        Assert.Equal(["u1", "u2"], (await store.GetAsync("pop3://a@h:995"))!.HandledIds);
        Assert.Null(await store.GetAsync("pop3://other@h:995"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UpdateAsync_ManyConcurrentUpdates_LosesNone(string kind)
    {
        using var owner = Create(kind, out var store);

        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
            await store.UpdateAsync("k", s => (s ?? new MailboxState()) with { HandledIds = [.. (s?.HandledIds ?? []), $"id{i}"] }))));

        var ids = (await store.GetAsync("k"))!.HandledIds;
        Assert.Equal(100, ids.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UpdateAsync_UpdateThrows_KeepsThePreviousState(string kind)
    {
        using var owner = Create(kind, out var store);
        await store.UpdateAsync("k", _ => new MailboxState { LastUid = 1 });

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.UpdateAsync("k", _ => throw new InvalidOperationException("boom")));

        Assert.Equal(1, (await store.GetAsync("k"))!.LastUid);
    }

    [Fact]
    public async Task FileStore_NewInstance_ReadsWhatThePreviousOneWrote()
    {
        using (var first = new FileMailboxStateStore(FilePath, NullLogger.Instance))
            await first.UpdateAsync("pop3://a@h:995", _ => new MailboxState { HandledIds = ["x", "y"] });

        using var second = new FileMailboxStateStore(FilePath, NullLogger.Instance);

        Assert.Equal(["x", "y"], (await second.GetAsync("pop3://a@h:995"))!.HandledIds);
    }

    [Fact]
    public async Task FileStore_Update_ReplacesTheFileAtomicallyAndLeavesNoTempFile()
    {
        using var store = new FileMailboxStateStore(FilePath, NullLogger.Instance);
        await store.UpdateAsync("k", _ => new MailboxState { LastUid = 1 });
        // A reader holding the old file keeps reading the old content: the new one is a different file renamed over it.
        await using var reader = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        await store.UpdateAsync("k", _ => new MailboxState { LastUid = 2 });

        using (var old = new StreamReader(reader))
            Assert.Contains("\"lastUid\": 1", await old.ReadToEndAsync(), StringComparison.Ordinal);
        Assert.Contains("\"lastUid\": 2", await File.ReadAllTextAsync(FilePath), StringComparison.Ordinal);
        Assert.Equal(["state.json", "state.json.lock"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("{ \"version\": 1, \"mailboxes\": { \"k\": ")]
    [InlineData("not json at all")]
    [InlineData("{ \"version\": 99, \"mailboxes\": {} }")]
    [InlineData("{ \"version\": 1 }")]
    [InlineData("{ \"version\": 1, \"mailboxes\": { \"k\": { \"handledIds\": null } } }")]
    [InlineData("{ \"version\": 1, \"mailboxes\": { \"k\": null } }")]
    public async Task FileStore_CorruptedFile_ThrowsNamingTheFileAndDoesNotOverwriteIt(string content)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(FilePath, content);
        using var store = new FileMailboxStateStore(FilePath, NullLogger.Instance);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await store.UpdateAsync("k", _ => new MailboxState()));

        Assert.Contains(FilePath, error.Message, StringComparison.Ordinal);
        Assert.Contains("not reset silently", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(FilePath));
    }

    [Fact]
    public async Task FileStore_SecondStoreOnTheSameFile_FailsClearly()
    {
        using var first = new FileMailboxStateStore(FilePath, NullLogger.Instance);
        await first.GetAsync("k");
        using var second = new FileMailboxStateStore(FilePath, NullLogger.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await second.GetAsync("k"));

        Assert.Contains("in use by another process", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MailboxStateFiles_SamePathTwice_SharesOneStore()
    {
        using var files = new MailboxStateFiles(NullLoggerFactory.Instance);

        Assert.Same(files.Get(FilePath), files.Get(Path.Combine(folder, ".", "state.json")));
    }

    private FileMailboxStateStore? Create(string kind, out IMailboxStateStore store)
    {
        if (kind == "memory")
        {
            store = new InMemoryMailboxStateStore();
            return null;
        }

        var file = new FileMailboxStateStore(FilePath, NullLogger.Instance);
        store = file;
        return file;
    }
}
