using System.Globalization;
using System.Text.Json;
using Mailing.Toolkit.Scriban;
using Mailing.Toolkit.Scriban.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mailing.Toolkit.Tests.Templating;

/// <summary>The example templates in TestData/templates/example, their models and expected outputs.</summary>
internal static class TemplateTestData
{
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    public static readonly CultureInfo PolishPoland = CultureInfo.GetCultureInfo("pl-PL");

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>TestData/templates: beside the test assembly when copied there, else in the source tree above it.</summary>
    public static string Root { get; } = Locate();

    public static string Example => Path.Combine(Root, "example");

    public static string ExpectedPath(string name) => Path.Combine(Root, "expected", name);

    public static string Expected(string name) => File.ReadAllText(ExpectedPath(name)).ReplaceLineEndings("\n");

    public static string ModelPath(string name) => Path.Combine(Root, "models", name);

    /// <summary>The welcome model of models/welcome.json as C# records (CustomerName is customer_name in the template).</summary>
    public static WelcomeModel Welcome(string? customerName = null)
    {
        var model = JsonSerializer.Deserialize<WelcomeModel>(File.ReadAllText(ModelPath("welcome.json")), Json)!;
        return customerName is null ? model : model with { CustomerName = customerName };
    }

    public static ScribanMailTemplateRenderer Renderer(Action<ScribanTemplateOptions>? configure = null, ILogger? logger = null)
    {
        var options = new ScribanTemplateOptions { Root = Example };
        configure?.Invoke(options);
        return Create(options, logger);
    }

    public static ScribanMailTemplateRenderer InMemory(IReadOnlyDictionary<string, string> files, Action<ScribanTemplateOptions>? configure = null, ILogger? logger = null)
    {
        var options = new ScribanTemplateOptions();
        foreach (var (path, text) in files)
            options.InMemoryTemplates[path] = text;
        configure?.Invoke(options);
        return Create(options, logger);
    }

    public static ScribanMailTemplateRenderer Create(ScribanTemplateOptions options, ILogger? logger = null) =>
        new(options, MailingBuilderScribanExtensions.CreateSource(options), TimeProvider.System, logger ?? NullLogger.Instance);

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "TestData", "templates"), Path.Combine(dir.FullName, "tests", "Mailing.Toolkit.Tests", "TestData", "templates") })
            {
                if (Directory.Exists(Path.Combine(candidate, "example")))
                    return candidate;
            }
        }
        throw new DirectoryNotFoundException("TestData/templates/example was not found above " + AppContext.BaseDirectory);
    }
}

public sealed record OrderLine(string Product, int Quantity, decimal Price);

public sealed record Order(string Number, DateTime Date, string Currency, IReadOnlyList<OrderLine> Lines, decimal Total);

public sealed record WelcomeModel(string CustomerName, string AccountUrl, Order Order);
