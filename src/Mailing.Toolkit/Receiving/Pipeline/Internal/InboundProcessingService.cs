using Mailing.Toolkit.Parsing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mailing.Toolkit.Receiving.Pipeline.Internal;

/// <summary>
/// The hosted service of <c>AddInboundProcessing()</c>: one polling loop per mailbox. Stopping the host stops taking
/// new messages at once and lets the ones in flight finish, until the host's shutdown timeout cancels them too.
/// </summary>
internal sealed class InboundProcessingService : BackgroundService, IInboundMailProcessor
{
    /// <summary>The mailbox name of the unnamed <see cref="IMailReceiver"/>.</summary>
    public const string DefaultMailbox = "default";

    private readonly InboundMailboxWorker[] workers;
    private readonly InboundProcessingOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource abort = new();

    public InboundProcessingService(IServiceProvider services, InboundRouteTable table, IOptions<InboundProcessingOptions> options, InboundTelemetry telemetry, TimeProvider time, ILoggerFactory loggerFactory)
    {
        this.options = options.Value;
        this.time = time;
        logger = loggerFactory.CreateLogger<InboundProcessingService>();
        var shared = new InboundRouter(table, this.options, logger);
        var mailboxes = new List<(string Name, IMailReceiver Receiver, InboundRouter Router)>();
        if (services.GetService<IMailReceiver>() is { } unnamed)
            mailboxes.Add((DefaultMailbox, unnamed, shared));
        foreach (var key in table.Mailboxes)
        {
            var receiver = services.GetKeyedService<IMailReceiver>(key) ?? throw new InvalidOperationException(
                $"AddInboundProcessing(): no IMailReceiver is registered under the key '{key}' given to Mailbox(\"{key}\"). Register one with AddImapReceiver(\"{key}\", ...), AddPop3Receiver(\"{key}\", ...) or AddMaildirReceiver(\"{key}\", ...).");
            mailboxes.Add((key, receiver, table.MailboxRoutes.TryGetValue(key, out var own) ? new InboundRouter(own, this.options, logger) : shared));
        }

        if (mailboxes.Count == 0)
            throw new InvalidOperationException("AddInboundProcessing() needs a receiver: add one with AddMaildirReceiver(path) or AddPop3Receiver().");
        if (mailboxes.Any(m => m.Router.Routes.Any(r => r.Handlers.Contains(typeof(AutoRespondHandler)))) && services.GetService<IServiceProviderIsService>()?.IsService(typeof(AutoResponding.IAutoResponder)) == false)
            throw new InvalidOperationException("An inbound route calls AutoRespond(), but no auto-responder is registered: add AddAutoResponder().");

        // A keyed receiver the builder methods registered but no Mailbox() names is not processed: say so once.
        foreach (var key in services.GetServices<ReceiverRegistration>().Select(r => r.Key).OfType<string>().Distinct().Where(k => !table.Mailboxes.Contains(k)))
            PipelineLog.KeyedReceiverNotProcessed(logger, key);

        var parser = services.GetRequiredService<IMailParser>();
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        var deduplication = this.options.Deduplicate ? services.GetRequiredService<IInboundDeduplicationStore>() : null;
        var authenticator = this.options.Authenticate
            ? services.GetService<Security.IMailAuthenticator>() ?? throw new InvalidOperationException("Mailing:Inbound:Authenticate is on, but no IMailAuthenticator is registered: add AddMailAuthentication().")
            : null;
        var classifier = this.options.ClassifySpam
            ? services.GetService<Security.ISpamClassifier>() ?? throw new InvalidOperationException("Mailing:Inbound:ClassifySpam is on, but no ISpamClassifier is registered: add AddRspamd() or AddSpamAssassin().")
            : null;
        workers = mailboxes
            .Select(m => new InboundMailboxWorker(m.Name, m.Receiver, parser, m.Router, scopes, this.options, telemetry, time, loggerFactory.CreateLogger<InboundMailboxWorker>(), deduplication, authenticator, classifier))
            .ToArray();
        telemetry.Mailboxes = () => Statuses;
    }

    public IEnumerable<InboundMailboxStatus> Statuses => workers.Select(w => w.Status);

    public async Task<InboundPassResult> RunPassAsync(CancellationToken cancellationToken = default)
    {
        var results = await Task.WhenAll(workers.Select(w => w.RunPassAsync(cancellationToken, abort.Token))).ConfigureAwait(false);
        return new InboundPassResult(
            results.Sum(r => r.Received), results.Sum(r => r.Handled), results.Sum(r => r.Unrouted), results.Sum(r => r.Quarantined), results.Sum(r => r.Deferred));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host's shutdown timeout: until it runs out, handlers in flight may finish.
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), abort);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        base.Dispose();
        abort.Dispose();
        foreach (var worker in workers)
            worker.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Background ? Task.WhenAll(workers.Select(w => LoopAsync(w, stoppingToken))) : Task.CompletedTask;

    private async Task LoopAsync(InboundMailboxWorker worker, CancellationToken stoppingToken)
    {
        PipelineLog.Started(logger, worker.Name, worker.RouteCount, options.MaxParallelism, options.PollInterval.TotalMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await worker.RunPassAsync(stoppingToken, abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                PipelineLog.PassFailed(logger, ex, worker.Name, ex.GetType().Name, options.PollInterval.TotalMilliseconds);
            }

            try
            {
                await worker.WaitForNextPassAsync(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
