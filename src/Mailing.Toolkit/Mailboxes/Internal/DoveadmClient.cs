using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mailing.Toolkit.Mailboxes.Internal;

/// <summary>
/// Dovecot's doveadm HTTP API (<c>POST /doveadm/v1</c>, a JSON array of <c>[command, parameters, tag]</c>), one
/// command per request. The API key goes in the <c>X-Dovecot-API</c> authorization header and nowhere else.
/// </summary>
internal sealed class DoveadmClient(HttpClient http, Uri url, string apiKey, TimeSpan timeout)
{
    /// <summary>The named <see cref="HttpClient"/> of IHttpClientFactory.</summary>
    public const string HttpClientName = "Mailing.Toolkit.Doveadm";

    private const int NotFound = 68;

    /// <summary>Runs one command; returns its result (an array of rows) or throws a <see cref="MailAccountException"/> that names the command.</summary>
    public async Task<JsonArray> RunAsync(string command, JsonObject parameters, string address, CancellationToken cancellationToken, bool acceptNotFound = false) =>
        // Null only with acceptUnknownCommand: here an unknown command throws like any other error.
        (await RunCoreAsync(command, parameters, address, acceptNotFound, acceptUnknownCommand: false, cancellationToken).ConfigureAwait(false))!;

    /// <summary>
    /// Runs a command that a plugin adds to doveadm (Pigeonhole's <c>sieve*</c> commands): null when this server does
    /// not know the command, so the plugin is not loaded.
    /// </summary>
    public Task<JsonArray?> RunPluginCommandAsync(string command, JsonObject parameters, string address, CancellationToken cancellationToken) =>
        RunCoreAsync(command, parameters, address, acceptNotFound: false, acceptUnknownCommand: true, cancellationToken);

    private async Task<JsonArray?> RunCoreAsync(string command, JsonObject parameters, string address, bool acceptNotFound, bool acceptUnknownCommand, CancellationToken cancellationToken)
    {
        var body = new JsonArray(new JsonArray(command, parameters, "c1")).ToJsonString();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("X-Dovecot-API", Convert.ToBase64String(Encoding.UTF8.GetBytes(apiKey)));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        JsonNode? answer;
        try
        {
            using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var hint = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " (check Mailing:Accounts:DoveadmApiKey)" : "";
                throw new MailAccountException($"The doveadm API at {url} answered {command} for '{address}' with HTTP {(int)response.StatusCode} {response.ReasonPhrase}{hint}.", address);
            }

            answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MailAccountException($"The doveadm API at {url} did not answer {command} for '{address}' within {timeout.TotalSeconds:F0} s.", address, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException)
        {
            throw new MailAccountException($"The doveadm API at {url} could not run {command} for '{address}': {ex.Message}", address, ex);
        }

        if (answer is not JsonArray { Count: > 0 } rows || rows[0] is not JsonArray { Count: >= 2 } first)
            throw new MailAccountException($"The doveadm API at {url} sent an answer to {command} that is not a doveadm response.", address);
        if (first[0]?.GetValue<string>() == "error")
        {
            var type = first[1]?["type"]?.GetValue<string>();
            var code = first[1]?["exitCode"]?.GetValue<int>();
            if (acceptNotFound && code == NotFound)
                return [];
            if (acceptUnknownCommand && type == "unknownMethod")
                return null;
            var meaning = type == "invalidRequest" ? "doveadm rejected the request as invalid (a parameter this server version does not know)" : Meaning(code);
            throw new MailAccountException($"doveadm {command} for '{address}' failed: {meaning} (exit code {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).", address);
        }

        return first[1] as JsonArray ?? [];
    }

    /// <summary>What the sysexits codes doveadm returns mean.</summary>
    private static string Meaning(int? code) => code switch
    {
        64 => "the command was used wrongly",
        65 => "the input was invalid",
        67 => "no such user",
        NotFound => "not found",
        73 => "it could not be created",
        75 => "a temporary failure; try again",
        77 => "permission denied",
        78 => "a server configuration error",
        _ => "an error",
    };
}
