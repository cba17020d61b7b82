using Mailing.Toolkit.IntegrationTests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Storage;

/// <summary>The store contract on the fixture's PostgreSQL 15, a fresh database per test.</summary>
[Collection(PostgresFixture.Collection)]
public sealed class PostgreSqlStoreContractTests(PostgresFixture postgres) : StoreContractTests
{
    protected override async Task ConfigureAsync(IMailingBuilder builder)
    {
        postgres.EnsureAvailable();
        builder.AddAutoResponder().UsePostgreSql(await postgres.CreateDatabaseAsync());
    }
}
