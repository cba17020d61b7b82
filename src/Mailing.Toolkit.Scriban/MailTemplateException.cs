namespace Mailing.Toolkit.Scriban;

/// <summary>What went wrong with a template.</summary>
public enum MailTemplateError
{
    /// <summary>Any other failure.</summary>
    Other = 0,

    /// <summary>A template, layout or partial does not exist; <see cref="MailTemplateException.SearchedPaths"/> lists where it was looked for.</summary>
    NotFound,

    /// <summary>A template does not parse.</summary>
    Syntax,

    /// <summary>A template failed while rendering, for example on a missing variable in strict mode.</summary>
    Runtime,

    /// <summary>A render hit a loop, recursion, output-size or nesting limit.</summary>
    LimitExceeded,

    /// <summary>A render took longer than <see cref="ScribanTemplateOptions.RenderTimeout"/>.</summary>
    Timeout,
}

/// <summary>
/// A template could not be loaded or rendered. The message names the template, the file, the line and the column,
/// for example <c>Template 'welcome': welcome/html.scriban(3,14): The variable or function `nme` was not found.</c>
/// </summary>
public sealed class MailTemplateException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public MailTemplateException()
        : this("The mail template could not be rendered.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MailTemplateException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public MailTemplateException(string message, Exception? innerException)
        : base(message, innerException)
    {
        SearchedPaths = [];
    }

    /// <summary>Creates an exception describing a failure in a template file.</summary>
    /// <param name="message">The full message.</param>
    /// <param name="error">What went wrong.</param>
    /// <param name="templateName">The template being rendered, for example <c>welcome</c>.</param>
    /// <param name="filePath">The file within the template source, for example <c>welcome/html.scriban</c>.</param>
    /// <param name="line">The 1-based line in <paramref name="filePath"/>.</param>
    /// <param name="column">The 1-based column in <paramref name="filePath"/>.</param>
    /// <param name="searchedPaths">Where a missing template was looked for.</param>
    /// <param name="innerException">The exception that caused it.</param>
    public MailTemplateException(
        string message,
        MailTemplateError error,
        string? templateName,
        string? filePath = null,
        int? line = null,
        int? column = null,
        IReadOnlyList<string>? searchedPaths = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        TemplateName = templateName;
        FilePath = filePath;
        Line = line;
        Column = column;
        SearchedPaths = searchedPaths ?? [];
    }

    /// <summary>What went wrong.</summary>
    public MailTemplateError Error { get; }

    /// <summary>The template being rendered, for example <c>welcome</c>.</summary>
    public string? TemplateName { get; }

    /// <summary>The file the error is in, relative to the template source, for example <c>_partials/button.scriban</c>.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line of the error in <see cref="FilePath"/>.</summary>
    public int? Line { get; }

    /// <summary>The 1-based column of the error in <see cref="FilePath"/>.</summary>
    public int? Column { get; }

    /// <summary>For <see cref="MailTemplateError.NotFound"/>: every path that was looked for, most specific first.</summary>
    public IReadOnlyList<string> SearchedPaths { get; }
}
