using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>The store contract on SQLite, a fresh database file per test.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mailing-sqlite-").FullName;

    protected override Task ConfigureAsync(IMailingBuilder builder)
    {
        builder.AddAutoResponder().UseSqlite(Path.Combine(folder, "mail.db"));
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}
