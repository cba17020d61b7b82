namespace Mailing.Toolkit.IntegrationTests.Fixtures;

/// <summary>
/// One Postfix for every test class marked <c>[Collection(PostfixFixture.Collection)]</c>. Tests in a
/// collection run one after another, so a test may count a Maildir's files before and after it sends.
/// </summary>
[CollectionDefinition(PostfixFixture.Collection)]
public sealed class PostfixCollectionDefinition : ICollectionFixture<PostfixFixture>;
