using System.Runtime.CompilerServices;
using System.Text;

namespace Mailing.Toolkit.Parsing.Internal;

/// <summary>
/// Makes the code-page charsets (windows-125x, iso-8859-x, koi8-r, gb2312, shift_jis, iso-2022-jp ...) known to .NET
/// as soon as this assembly is used. Without them MimeKit decodes such text as Latin-1 ("Łódź" becomes "£ód¼"), and
/// MimeKit settles which charsets exist at its first charset lookup: a provider registered after that (as a static
/// constructor of the parser did) is too late for encoded-word headers, so the registration has to come first.
/// </summary>
internal static class CodePageCharsets
{
#pragma warning disable CA2255 // A library module initializer on purpose: the registration must precede MimeKit's first lookup.
    [ModuleInitializer]
    internal static void Register() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
#pragma warning restore CA2255
}
