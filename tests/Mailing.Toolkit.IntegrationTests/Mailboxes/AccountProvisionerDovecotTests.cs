using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using Mailing.Toolkit.IntegrationTests.Fixtures;
using Mailing.Toolkit.IntegrationTests.Sieve;
using Mailing.Toolkit.Mailboxes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Mailing.Toolkit.IntegrationTests.Mailboxes;

/// <summary>
/// <see cref="IMailAccountProvisioner"/> against Dovecot with a SQLite passdb/userdb and the doveadm HTTP API: every
/// step checked the way a user would notice it (logins over IMAP and POP3, LMTP delivery, GETQUOTAROOT).
/// </summary>
[Collection(DovecotFixture.Collection)]
public sealed class AccountProvisionerDovecotTests(DovecotFixture dovecot)
{
    private const string StrongPassword = "Correct-Horse-42-battery";

    [SkippableFact]
    public async Task Create_ThenLogInOverImapAndPop3AndReceiveOverLmtp()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("support");

        var created = await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword, QuotaBytes = 5 * 1024 * 1024 });
        var delivered = await dovecot.DeliverAsync("customer@example.org", address, SieveTestHost.Message("customer@example.org", address, "Help please"));
        using var imap = await ImapAsync(address, StrongPassword);
        var folders = (await imap.GetFoldersAsync(imap.PersonalNamespaces[0])).ToDictionary(f => f.FullName, f => f.Attributes);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly);
        using var pop3 = await Pop3Async(address, StrongPassword);

        Assert.Equal(new MailAccount(address, 5 * 1024 * 1024, false, created.CreatedAt), await accounts.FindAsync(address));
        Assert.StartsWith("250", delivered);
        Assert.Equal(1, imap.Inbox.Count);
        Assert.Equal(1, await pop3.GetMessageCountAsync());
        Assert.True(folders["Sent"].HasFlag(FolderAttributes.Sent));
        Assert.True(folders["Trash"].HasFlag(FolderAttributes.Trash));
        Assert.True(folders["Junk"].HasFlag(FolderAttributes.Junk));
        Assert.Contains(address, (await accounts.ListAsync()).Select(a => a.Address));
        Assert.StartsWith("{SHA512-CRYPT}$6$rounds=", StoredHash(address));
    }

    [SkippableFact]
    public async Task SetQuota_NewLimitShowsInGetQuotaRoot()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("quota");
        await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword, QuotaBytes = 2 * 1024 * 1024 });

        var before = await QuotaLimitKbAsync(address);
        await accounts.SetQuotaAsync(address, 50L * 1024 * 1024);
        var after = await QuotaLimitKbAsync(address);

        Assert.Equal(2 * 1024, before);
        Assert.Equal(50 * 1024, after);
        Assert.Equal(50L * 1024 * 1024, (await accounts.FindAsync(address))!.QuotaBytes);
    }

    [SkippableFact]
    public async Task ChangePasswordAndDisable_TheOldPasswordAndADisabledAccountAreRefused()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("rotate");
        const string newPassword = "Another-Strong-77-pass";
        await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword });

        await accounts.ChangePasswordAsync(address, newPassword);
        await Assert.ThrowsAsync<AuthenticationException>(() => ImapAsync(address, StrongPassword));
        (await ImapAsync(address, newPassword)).Dispose();
        await accounts.SetDisabledAsync(address, true);
        await Assert.ThrowsAsync<AuthenticationException>(() => ImapAsync(address, newPassword));
        await accounts.SetDisabledAsync(address, false);
        (await ImapAsync(address, newPassword)).Dispose();
    }

    [SkippableFact]
    public async Task Delete_WithExport_WritesEveryMessageThenRefusesTheLogin()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("leaver");
        await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword });
        await dovecot.DeliverAsync("a@example.org", address, SieveTestHost.Message("a@example.org", address, "first"));
        await dovecot.DeliverAsync("b@example.org", address, SieveTestHost.Message("b@example.org", address, "second"));
        var export = Directory.CreateTempSubdirectory("mailing-export-").FullName;
        try
        {
            await accounts.DeleteAsync(address, export);

            var files = Directory.GetFiles(export, "*.eml", SearchOption.AllDirectories);
            Assert.Equal(["first", "second"], files.Select(f => MimeKit.MimeMessage.Load(f).Subject).Order());
            Assert.All(files, f => Assert.Equal("INBOX\n", File.ReadAllText(Path.Combine(Path.GetDirectoryName(f)!, "folder.txt"))));
            Assert.Null(await accounts.FindAsync(address));
            await Assert.ThrowsAsync<AuthenticationException>(() => ImapAsync(address, StrongPassword));
            await Assert.ThrowsAsync<MailAccountException>(() => accounts.DeleteAsync(address));
        }
        finally
        {
            Directory.Delete(export, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Delete_RemovesTheFiltersAndVacation_SoTheAddressGivenOutAgainStartsWithout()
    {
        dovecot.EnsureAccountsAvailable();
        dovecot.EnsureSieveAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("returning");
        await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword });
        await using (var sieve = SieveTestHost.Build(dovecot, address, StrongPassword))
        {
            var filters = sieve.GetRequiredService<Mailing.Toolkit.Sieve.IMailboxFilters>();
            await filters.SetVacationAsync(new Mailing.Toolkit.Sieve.VacationReply { Subject = "Away", Body = "Back soon." });
            await filters.SetRuleAsync(new Mailing.Toolkit.Sieve.SieveRule("junk",
                Mailing.Toolkit.Sieve.SieveTest.Header("X-Spam-Flag", Mailing.Toolkit.Sieve.SieveMatch.Is, "YES"),
                Mailing.Toolkit.Sieve.SieveAction.FileInto("Junk")));
            Assert.NotEmpty(await ScriptsAsync(sieve));
        }

        await accounts.DeleteAsync(address);
        await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword });

        await using (var sieve = SieveTestHost.Build(dovecot, address, StrongPassword))
        {
            Assert.Empty(await ScriptsAsync(sieve));
            var installed = await sieve.GetRequiredService<Mailing.Toolkit.Sieve.IMailboxFilters>().GetAsync();
            Assert.False(installed.HasVacation);
            Assert.Empty(installed.Rules);
        }
    }

    [SkippableFact]
    public async Task DoveadmApi_UnknownCommand_IsAnsweredWithTheErrorTypeTheProvisionerReadsAsNoPlugin()
    {
        // Deletion reads "unknownMethod" for sieveList as "Pigeonhole's doveadm plugin is not loaded": pin that answer.
        dovecot.EnsureAccountsAvailable();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, dovecot.DoveadmUrl)
        {
            Content = new StringContent("""[["sieveNoSuchCommand",{"user":"nobody"},"t1"]]""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("X-Dovecot-API", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(dovecot.DoveadmApiKey)));

        using var response = await http.SendAsync(request);
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("error", answer[0]![0]!.GetValue<string>());
        Assert.Equal("unknownMethod", answer[0]![1]!["type"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task Create_Twice_TheSecondThrowsAndTheFirstStays()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("twice");
        await accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword });

        var error = await Assert.ThrowsAsync<MailAccountException>(() => accounts.CreateAsync(new NewMailAccount { Address = address.ToUpperInvariant(), Password = "Different-Pass-99-x" }));

        Assert.Contains("exists already", error.Message);
        (await ImapAsync(address, StrongPassword)).Dispose();
    }

    [SkippableFact]
    public async Task Create_DoveadmRefusesTheKey_LeavesNoAccountBehind()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build(o => o.DoveadmApiKey = "wrong-key");
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("halfway");

        var error = await Assert.ThrowsAsync<MailAccountException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword }));

        Assert.Contains("DoveadmApiKey", error.Message);
        Assert.DoesNotContain("wrong-key", error.ToString());
        Assert.Null(await accounts.FindAsync(address));
        await Assert.ThrowsAsync<AuthenticationException>(() => ImapAsync(address, StrongPassword));
    }

    [SkippableTheory]
    [InlineData("evil\r\nX-Injected: 1@example.test")]
    [InlineData("\"quoted\"@example.test")]
    [InlineData("../../etc@example.test")]
    [InlineData("percent%u@example.test")]
    [InlineData("no-domain")]
    public async Task Create_UnsafeAddress_IsRefusedAndNothingIsStored(string address)
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var before = await accounts.ListAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword }));

        Assert.Equal(before, await accounts.ListAsync());
    }

    [SkippableFact]
    public async Task Create_WeakPasswordOrAbsurdQuota_IsRefusedWithTheRuleNamed()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var address = Address("weak");

        var short_ = await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = "Sh0rt!" }));
        var plain = await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = "alllowercaseletters" }));
        var own = await Assert.ThrowsAsync<ArgumentException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = address.Split('@')[0] + "-Secret-1" }));
        var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword, QuotaBytes = -1 }));
        var huge = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => accounts.CreateAsync(new NewMailAccount { Address = address, Password = StrongPassword, QuotaBytes = long.MaxValue }));

        Assert.Contains("MinLength", short_.Message);
        Assert.Contains("MinCharacterClasses", plain.Message);
        Assert.Contains("RejectLocalPart", own.Message);
        Assert.Contains("MaxQuotaBytes", negative.Message);
        Assert.Contains("MaxQuotaBytes", huge.Message);
        Assert.Null(await accounts.FindAsync(address));
    }

    [SkippableFact]
    public async Task SharedMailbox_ColleagueGrantedWriteRights_CanFileMailIntoIt()
    {
        dovecot.EnsureAccountsAvailable();
        await using var provider = Build();
        var accounts = provider.GetRequiredService<IMailAccountProvisioner>();
        var (owner, colleague) = (Address("shared-owner"), Address("colleague"));
        await accounts.CreateAsync(new NewMailAccount { Address = owner, Password = StrongPassword });
        await accounts.CreateAsync(new NewMailAccount { Address = colleague, Password = StrongPassword });
        using (var ownerImap = await ImapAsync(owner, StrongPassword))
        {
            var support = await ownerImap.GetFolder(ownerImap.PersonalNamespaces[0])!.CreateAsync("Support", isMessageFolder: true);
            await support!.SetAccessRightsAsync(colleague, new AccessRights("lrswi"));
        }

        using var colleagueImap = await ImapAsync(colleague, StrongPassword);
        var shared = await colleagueImap.GetFolderAsync($"shared/{owner}/Support");
        await shared.AppendAsync(SieveTestHost.Message(colleague, owner, "filed by a colleague"));
        await shared.OpenAsync(FolderAccess.ReadWrite);

        Assert.Equal(1, shared!.Count);
        Assert.Equal(1, await dovecot.CountAsync(owner, "Support"));
    }

    private ServiceProvider Build(Action<DovecotAccountOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMailing().AddDovecotAccounts(o =>
        {
            o.ConnectionFactory = () => new SqliteConnection($"Data Source={dovecot.AccountsDatabase}");
            o.DoveadmUrl = dovecot.DoveadmUrl;
            o.DoveadmApiKey = dovecot.DoveadmApiKey;
            o.PasswordHashRounds = 20_000;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider(validateScopes: true);
    }

    private static async Task<IReadOnlyList<Mailing.Toolkit.Sieve.SieveScriptInfo>> ScriptsAsync(ServiceProvider sieve)
    {
        await using var session = await sieve.GetRequiredService<Mailing.Toolkit.Sieve.IManageSieveClient>().ConnectAsync();
        return await session.ListScriptsAsync();
    }

    private string Address(string prefix) => SieveTestHost.NewAccount(dovecot, prefix);

    private string StoredHash(string address)
    {
        using var connection = new SqliteConnection($"Data Source={dovecot.AccountsDatabase}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT password FROM mail_users WHERE username = $address";
        command.Parameters.AddWithValue("$address", address);
        return (string)command.ExecuteScalar()!;
    }

    private async Task<ImapClient> ImapAsync(string user, string password)
    {
        var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c), CheckCertificateRevocation = false };
        try
        {
            await imap.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.StartTls);
            await imap.AuthenticateAsync(user, password);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }

    private async Task<Pop3Client> Pop3Async(string user, string password)
    {
        var pop3 = new Pop3Client { ServerCertificateValidationCallback = (_, c, _, _) => dovecot.IsServerCertificate(c), CheckCertificateRevocation = false };
        await pop3.ConnectAsync(dovecot.Host, dovecot.Pop3Port, SecureSocketOptions.StartTls);
        await pop3.AuthenticateAsync(user, password);
        return pop3;
    }

    private async Task<long?> QuotaLimitKbAsync(string address)
    {
        using var imap = await ImapAsync(address, StrongPassword);
        var quota = await imap.Inbox.GetQuotaAsync();
        return quota.StorageLimit;
    }
}
