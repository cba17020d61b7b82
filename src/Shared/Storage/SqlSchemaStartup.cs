using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mailing.Toolkit.Storage;

/// <summary>
/// Prepares the schema when the host starts, without holding the start up: a database that is down is logged with
/// its (password-free) description and tried again with backoff, while the stores report the same error to callers.
/// </summary>
internal sealed class SqlSchemaStartup(SqlSchema schema, SqlDialect dialect, ILogger logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var failures = 0; !stoppingToken.IsCancellationRequested;)
        {
            try
            {
                await schema.EnsureAsync(stoppingToken).ConfigureAwait(false);
                StorageLog.SchemaReady(logger, dialect.Description);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(failures, 6))));
                StorageLog.SchemaNotReady(logger, ex, dialect.Description, failures, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
