using Mailing.Toolkit;
using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Marks a receiver transport as registered, unnamed (<see cref="Key"/> null) or under a service key, so adding it
/// twice registers it once; and the one registration path every receiver (Maildir, POP3, IMAP; unnamed or keyed) takes.
/// </summary>
internal sealed record ReceiverRegistration(string Transport, string? Key)
{
    /// <summary>The subsection of <c>Mailing</c> that holds the keyed receivers: <c>Mailing:Receivers:{key}</c>.</summary>
    public const string KeyedSection = "Receivers";

    /// <summary>The mailbox name of the unnamed receiver in the inbound pipeline; no key may take it.</summary>
    public const string DefaultName = "default";

    /// <summary>The conventional section of a keyed receiver, relative to <c>Mailing</c>.</summary>
    public static string SectionKey(string key) => $"{KeyedSection}:{key}";

    /// <summary>The conventional path of a keyed receiver, for error messages: <c>Mailing:Receivers:{key}</c>.</summary>
    public static string PathOf(string key) => $"{MailingOptions.SectionName}:{SectionKey(key)}";

    /// <summary>Checks a receiver's service key: it names a configuration section and a mailbox in logs and metrics.</summary>
    /// <exception cref="ArgumentException">The key is empty, contains ':', a line break or NUL, or is <c>default</c>.</exception>
    public static string CheckKey(string key, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key, paramName);
        if (key.Contains(':', StringComparison.Ordinal) || HeaderSafety.ContainsLineBreakOrNul(key) || key.Trim().Length != key.Length)
        {
            throw new ArgumentException(
                $"The receiver key '{key.ReplaceLineEndings(" ")}' is not valid: it names the configuration section {PathOf("{key}")}, so it must not contain ':', line breaks or NUL, nor start or end with a space.",
                paramName);
        }

        return string.Equals(key, DefaultName, StringComparison.OrdinalIgnoreCase)
            ? throw new ArgumentException($"'{key}' is the mailbox name of the unnamed receiver: register that one without a key, or choose another key.", paramName)
            : key;
    }

    /// <summary>
    /// Registers a receiver. The first call for a transport and key binds <paramref name="section"/>, adds the
    /// validator (skipping other option names, so keyed and unnamed settings never validate each other) and registers
    /// <typeparamref name="TReceiver"/> as a singleton, unnamed or keyed, as the <see cref="IMailReceiver"/> and, when it
    /// is one, the <see cref="IMailArrivalNotifier"/>; later calls only apply their configure action.
    /// </summary>
    /// <param name="builder">The mailing builder.</param>
    /// <param name="method">The public method, for error messages (<c>AddPop3Receiver</c>).</param>
    /// <param name="transport">The transport (<c>pop3</c>); the same key cannot be taken by two transports.</param>
    /// <param name="key">The service key, or null for the unnamed receiver; checked by <see cref="CheckKey"/>.</param>
    /// <param name="section">The section the options bind from, or null.</param>
    /// <param name="configure">Runs after the section is bound.</param>
    /// <param name="path">The key path validation messages name.</param>
    /// <param name="validator">Makes the validator for a path.</param>
    /// <param name="create">Makes the receiver from its validated options (named after the key).</param>
    /// <param name="also">Further registrations, told whether this is the first call (the IMAP account).</param>
    public static IMailingBuilder Add<TOptions, TReceiver>(
        IMailingBuilder builder,
        string method,
        string transport,
        string? key,
        IConfiguration? section,
        Action<TOptions>? configure,
        string path,
        Func<string, IValidateOptions<TOptions>> validator,
        Func<IServiceProvider, TOptions, TReceiver> create,
        Action<bool>? also = null)
        where TOptions : class
        where TReceiver : class, IMailReceiver
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var name = key ?? Options.Options.DefaultName;
        var registration = new ReceiverRegistration(transport, key);
        var first = !services.Any(d => d.ServiceType == typeof(ReceiverRegistration) && Equals(d.ImplementationInstance, registration));

        // Checked before anything is added, so a refused call leaves the collection as it was.
        if (first && (key is null ? services.Any(d => d.ServiceType == typeof(IMailReceiver) && !d.IsKeyedService) : services.Any(d => d.ServiceType == typeof(IMailReceiver) && d.IsKeyedService && Equals(d.ServiceKey, key))))
        {
            var taken = services.Where(d => d.ServiceType == typeof(ReceiverRegistration)).Select(d => d.ImplementationInstance).OfType<ReceiverRegistration>().FirstOrDefault(r => r.Key == key)?.Transport;
            var by = taken is null ? "another IMailReceiver" : $"the {taken} receiver";
            throw new InvalidOperationException(key is null
                ? $"{method}() cannot register the IMailReceiver: {by} already is the unnamed one. Keep one unnamed receiver, and add the others under a key, for example {method}(\"billing\", ...), resolved with [FromKeyedServices(\"billing\")]."
                : $"{method}(\"{key}\") cannot register the IMailReceiver keyed '{key}': {by} already is registered under that key. A key names one mailbox: choose another key for this one.");
        }

        if (first)
            services.AddSingleton(registration);
        also?.Invoke(first);
        var options = services.AddOptions<TOptions>(name);
        if (first && section is not null)
            options.Bind(section);
        if (configure is not null)
            options.Configure(configure);
        if (!first)
            return builder;

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new NamedOptionsValidator<TOptions>(name, validator(path)));
        MailboxStateFiles.AddTo(services);
        var notifier = typeof(IMailArrivalNotifier).IsAssignableFrom(typeof(TReceiver));
        if (key is null)
        {
            services.AddSingleton(sp => create(sp, sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(name)));
            services.AddSingleton<IMailReceiver>(sp => sp.GetRequiredService<TReceiver>());
            if (notifier)
                services.TryAddSingleton(sp => (IMailArrivalNotifier)sp.GetRequiredService<TReceiver>());
        }
        else
        {
            services.AddKeyedSingleton(key, (sp, _) => create(sp, sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(name)));
            services.AddKeyedSingleton<IMailReceiver>(key, (sp, k) => sp.GetRequiredKeyedService<TReceiver>(k));
            if (notifier)
                services.TryAddKeyedSingleton(key, (sp, k) => (IMailArrivalNotifier)sp.GetRequiredKeyedService<TReceiver>(k));
        }

        return builder;
    }
}

/// <summary>Runs a validator for the options of one name only, so the unnamed and keyed options of a type each meet their own.</summary>
internal sealed class NamedOptionsValidator<TOptions>(string name, IValidateOptions<TOptions> inner) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? optionsName, TOptions options) =>
        string.Equals(optionsName ?? Options.Options.DefaultName, name, StringComparison.Ordinal)
            ? inner.Validate(optionsName, options)
            : ValidateOptionsResult.Skip;
}
