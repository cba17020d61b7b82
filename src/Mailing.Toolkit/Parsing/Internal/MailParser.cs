using System.Buffers;
using System.Diagnostics;
using Mailing.Toolkit.Parsing.Internal.Classification;
using Mailing.Toolkit.Parsing.Internal.Replies;
using Mailing.Toolkit.Security;
using Mailing.Toolkit.Security.Internal;
using Mailing.Toolkit.Telemetry;
using Mailing.Toolkit.Text.Internal;
using Mailing.Toolkit.Text;
using Microsoft.Extensions.Logging;
using MimeKit.Tnef;
using MimeKit.Utils;
using MimeKit;

namespace Mailing.Toolkit.Parsing.Internal;

/// <summary>
/// The <see cref="IMailParser"/>: bounds the raw input, lets MimeKit parse it in place, then takes the message
/// apart (identity, addresses, bodies, attachments, reply, classification) without decoding attachment content.
/// </summary>
internal sealed class MailParser(
    MailParserOptions options,
    ILogger<MailParser> logger,
    MailingInstrumentation? instrumentation = null,
    IReadOnlyList<IContentUnprotector>? unprotectors = null) : IMailParser
{
    /// <summary>The most signed or encrypted layers opened, one inside the other (sign then encrypt is two).</summary>
    internal const int MaxProtectionLayers = 4;

    private readonly IReadOnlyList<IContentUnprotector> unprotectors = unprotectors ?? [];

    private static readonly ParserOptions MimeOptions = new() { RespectContentLength = false };

    [ThreadStatic]
    private static MimeParser? cachedParser;

    public async ValueTask<ParsedMail> ParseAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var activity = StartParse();
        try
        {
            return Parsed(activity, await ParseStreamAsync(stream, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (activity is not null)
        {
            ParseFailed(activity, e);
            throw;
        }
    }

    public ParsedMail Parse(MimeMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = StartParse();
        try
        {
            return Parsed(activity, ParseMessage(message));
        }
        catch (Exception e) when (activity is not null)
        {
            ParseFailed(activity, e);
            throw;
        }
    }

    private Activity? StartParse() => instrumentation?.ActivitySource.StartActivity(MailingInstrumentation.ParseSpan, ActivityKind.Internal);

    private static ParsedMail Parsed(Activity? activity, ParsedMail mail)
    {
        if (activity is not null && mail.MessageId is { } messageId)
            activity.SetTag("mailing.message_id", messageId);
        return mail;
    }

    private static void ParseFailed(Activity activity, Exception error)
    {
        if (error is MailParseException { Limit: { } limit })
            activity.SetTag("mailing.parse.limit", limit);
        MailingInstrumentation.SetError(activity, MailingInstrumentation.ErrorType(error));
    }

    private async ValueTask<ParsedMail> ParseStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = await ReadBoundedAsync(stream, cancellationToken).ConfigureAwait(false);
        try
        {
            RawMessageGuard.Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), options);
        }
        catch (MailParseException e)
        {
            Log.LimitHit(logger, e.Limit);
            throw;
        }

        MimeMessage message;
        try
        {
            message = ParseMime(buffer, cancellationToken);
        }
        catch (FormatException e)
        {
            return NotMime(buffer, e);
        }
        return ParseMessage(message);
    }

    /// <summary>
    /// Parses in place (persistent: parts refer to slices of the buffer instead of copying their content) and
    /// synchronously (the bytes are in memory, so the async parser would do the same work in state machines).
    /// </summary>
    private static MimeMessage ParseMime(MemoryStream buffer, CancellationToken cancellationToken)
    {
        // A MimeParser owns about 5 KB of buffers, as much as a small message's whole parse allocates besides; the
        // parse is synchronous, so one parser per thread can be reused without ever being shared.
        var parser = cachedParser ?? new MimeParser(MimeOptions, Stream.Null, MimeFormat.Entity, persistent: true);
        cachedParser = null;
        try
        {
            parser.SetStream(buffer, MimeFormat.Entity, persistent: true);
            return parser.ParseMessage(cancellationToken);
        }
        finally
        {
            // Let go of the message's buffer before the parser waits for the next one.
            parser.SetStream(Stream.Null, MimeFormat.Entity, persistent: true);
            cachedParser = parser;
        }
    }

    /// <summary>
    /// Input MimeKit finds no header in (an Outlook .msg file, a truncated upload): nothing is thrown away, the
    /// bytes become the one attachment of an otherwise empty result, and a warning says what happened.
    /// </summary>
    private ParsedMail NotMime(MemoryStream buffer, FormatException error)
    {
        ReadOnlySpan<byte> compoundFile = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        var isOutlook = buffer.GetBuffer().AsSpan(0, (int)buffer.Length).StartsWith(compoundFile);
        var warning = isOutlook
            ? "The input is an Outlook .msg file (an OLE compound file), not a MIME message: it is kept as one attachment."
            : $"The input is not a MIME message ({error.Message}): it is kept as one attachment.";
        Log.Warning(logger, warning);
        buffer.Position = 0;
        var type = isOutlook ? new ContentType("application", "vnd.ms-outlook") : new ContentType("application", "octet-stream");
        var part = new MimePart(type) { Content = new MimeContent(buffer) };
        return new ParsedMail
        {
            Attachments = [new MimeAttachment(part, options.MaxAttachmentSize) { ContentType = type.MimeType, FileName = isOutlook ? "message.msg" : null }],
            AutoReply = new AutoReplyInfo(false, null),
            Warnings = [warning],
        };
    }

    private ParsedMail ParseMessage(MimeMessage message)
    {
        var warnings = new List<string>();
        var parts = new PartWalker(options, warnings);
        var (body, protection) = Unprotect(message.Body, warnings);
        parts.Walk(body);

        var html = Body(parts.Html, "HTML", warnings);
        var text = Body(parts.Text, "text", warnings);
        var generated = false;
        if (text is null && html is not null && options.TextFromHtml)
        {
            text = HtmlToText.Convert(html);
            generated = true;
        }

        var references = message.References.ToArray();
        // MimeKit parses the header again on every read of these two.
        var messageId = message.MessageId;
        var inReplyTo = message.InReplyTo;
        var subject = message.Headers.Contains(HeaderId.Subject) ? message.Subject : null;
        var date = Date(message, warnings);
        var classification = Guarded(() => MailClassifier.Classify(message, text), "classification", warnings)
            ?? new MailClassification(new AutoReplyInfo(false, null), null, null);
        var reply = options.ExtractReply ? Guarded(() => ReplyExtractor.Extract(generated ? null : text, html, generated ? text : null), "reply extraction", warnings) : null;
        foreach (var warning in warnings)
            Log.Warning(logger, warning);
        return new ParsedMail
        {
            MessageId = messageId,
            InReplyTo = inReplyTo,
            References = references,
            ThreadId = references.Length > 0 ? references[0] : inReplyTo ?? messageId,
            Date = date,
            Subject = subject,
            NormalizedSubject = SubjectNormalizer.Normalize(subject),
            From = Addresses(message.From),
            Sender = message.Sender is { } sender ? Address(sender) : null,
            ReplyTo = Addresses(message.ReplyTo),
            To = Addresses(message.To),
            Cc = Addresses(message.Cc),
            Bcc = Addresses(message.Bcc),
            ReturnPath = ReturnPath(message.Headers[HeaderId.ReturnPath]),
            DeliveredTo = HeaderValues(message.Headers, "Delivered-To"),
            TextBody = text,
            HtmlBody = html,
            Reply = reply,
            Attachments = parts.Attachments,
            AutoReply = classification.AutoReply,
            Bounce = classification.Bounce,
            FeedbackReport = classification.FeedbackReport,
            MailingList = MailingList(message.Headers),
            Protection = protection,
            Headers = message.Headers.Select(h => new ParsedHeader(h.Field, h.Value)).ToArray(),
            Warnings = warnings,
        };
    }

    /// <summary>
    /// The extractors read untrusted text and are written not to throw; should one still fail, the message keeps
    /// everything else and says what is missing, rather than being lost to one heuristic.
    /// </summary>
    private T? Guarded<T>(Func<T?> extract, string what, List<string> warnings)
        where T : class
    {
        try
        {
            return extract();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            Log.ExtractorFailed(logger, what, e);
            warnings.Add($"The {what} failed ({e.GetType().Name}); that part of the result is empty.");
            return null;
        }
    }

    /// <summary>
    /// Opens signed and encrypted layers with the registered S/MIME and OpenPGP support, outermost first, and gives the
    /// innermost content for the rest of the parse. An envelope that cannot be decrypted stays as it is (its parts become
    /// attachments), so nothing is lost; <see cref="ContentProtectionInfo.DecryptionError"/> says why.
    /// </summary>
    private (MimeEntity? Body, ContentProtectionInfo? Protection) Unprotect(MimeEntity? body, List<string> warnings)
    {
        if (unprotectors.Count == 0 || body is null)
            return (body, null);

        var signatures = new List<ContentSignature>();
        ContentProtectionScheme? encryption = null;
        string? decryptionError = null;
        var layers = 0;
        while (body is not null && unprotectors.FirstOrDefault(u => u.Handles(body)) is { } unprotector)
        {
            if (++layers > MaxProtectionLayers)
            {
                warnings.Add($"The content is wrapped in more than {MaxProtectionLayers} signed or encrypted layers; the inner ones are left as they are.");
                break;
            }

            ContentLayer layer;
            try
            {
                layer = unprotector.Open(body, CancellationToken.None);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
            {
                Log.ExtractorFailed(logger, "signature and decryption check", e);
                warnings.Add($"The signed or encrypted content could not be read ({e.GetType().Name}); it is left as it is.");
                break;
            }

            signatures.AddRange(layer.Signatures);
            if (layer.EncryptionScheme is { } scheme)
            {
                encryption ??= scheme;
                decryptionError ??= layer.DecryptionError;
            }

            if (layer.Content is null)
                break;
            body = layer.Content;
        }

        if (layers == 0)
            return (body, null);
        return (body, new ContentProtectionInfo
        {
            EncryptionScheme = encryption,
            IsDecrypted = encryption is not null && decryptionError is null,
            DecryptionError = decryptionError,
            Signatures = signatures,
        });
    }

    private static DateTimeOffset? Date(MimeMessage message, List<string> warnings)
    {
        if (message.Headers[HeaderId.Date] is not { } value)
            return null;
        if (DateUtils.TryParse(value, out var date))
            return date;
        warnings.Add("The Date header cannot be read as a date; Date is left empty.");
        return null;
    }

    private async ValueTask<MemoryStream> ReadBoundedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var limit = options.MaxMessageSize;
        if (stream.CanSeek && stream.Length - stream.Position > limit)
            throw TooLarge(limit);

        var capacity = stream.CanSeek ? (int)Math.Min(stream.Length - stream.Position, limit) : 64 * 1024;
        var buffer = new MemoryStream(capacity);
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                    throw TooLarge(limit);
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        buffer.Position = 0;
        return buffer;

        MailParseException TooLarge(long max)
        {
            Log.LimitHit(logger, nameof(MailParserOptions.MaxMessageSize));
            return new MailParseException($"The message is larger than {max} bytes (Mailing:Parsing:MaxMessageSize).", nameof(MailParserOptions.MaxMessageSize));
        }
    }

    private string? Body(TextPart? part, string kind, List<string> warnings)
    {
        if (part is null)
            return null;
        var body = TextBodies.Decode(part);
        if (body.Length <= options.MaxBodyLength)
            return body;
        warnings.Add($"The {kind} body has {body.Length} characters; the first {options.MaxBodyLength} are kept (Mailing:Parsing:MaxBodyLength).");
        return body[..options.MaxBodyLength];
    }

    private static ParsedAddress[] Addresses(InternetAddressList list)
    {
        if (list.Count == 0)
            return [];
        return list.Mailboxes.Select(Address).ToArray();
    }

    private static ParsedAddress Address(MailboxAddress mailbox) =>
        new(string.IsNullOrEmpty(mailbox.Name) ? null : mailbox.Name, mailbox.Address);

    /// <summary>The Return-Path: <c>&lt;&gt;</c> is the null reverse path (an empty address).</summary>
    private static ParsedAddress? ReturnPath(string? value)
    {
        if (value is null)
            return null;
        var trimmed = value.Trim();
        if (trimmed is "<>" or "")
            return new ParsedAddress(null, string.Empty);
        return MailboxAddress.TryParse(trimmed, out var mailbox) ? Address(mailbox) : new ParsedAddress(null, trimmed.Trim('<', '>', ' '));
    }

    private static string[] HeaderValues(HeaderList headers, string name)
    {
        List<string>? values = null;
        foreach (var header in headers)
        {
            if (header.Field.Equals(name, StringComparison.OrdinalIgnoreCase))
                (values ??= []).Add(header.Value.Trim());
        }
        return values?.ToArray() ?? [];
    }

    /// <summary>List-Id, List-Unsubscribe, List-Post (RFC 2369, RFC 2919) and Precedence; null when none is present.</summary>
    private static MailingListInfo? MailingList(HeaderList headers)
    {
        var id = headers["List-Id"];
        var unsubscribe = headers["List-Unsubscribe"];
        var post = headers["List-Post"];
        var precedence = headers[HeaderId.Precedence]?.Trim();
        if (id is null && unsubscribe is null && post is null && precedence is null && headers["List-Help"] is null)
            return null;
        return new MailingListInfo(
            id is null ? null : Bracketed(id).FirstOrDefault() ?? id.Trim(),
            unsubscribe is null ? [] : Bracketed(unsubscribe).ToArray(),
            post is null ? null : Bracketed(post).FirstOrDefault() ?? post.Trim(),
            precedence);
    }

    /// <summary>The values between angle brackets, in order (<c>&lt;mailto:x&gt;, &lt;https://y&gt;</c>).</summary>
    private static IEnumerable<string> Bracketed(string value)
    {
        for (var start = value.IndexOf('<'); start >= 0; start = value.IndexOf('<', start + 1))
        {
            var end = value.IndexOf('>', start + 1);
            if (end < 0)
                yield break;
            var item = value.AsSpan(start + 1, end - start - 1).Trim();
            if (!item.IsEmpty)
                yield return item.ToString();
            start = end;
        }
    }

    /// <summary>
    /// One pass over the MIME tree, iterative and bounded by depth and part count: picks the text and HTML bodies
    /// the way mail clients do, and lists every other leaf (and attached message) as an attachment.
    /// </summary>
    private sealed class PartWalker(MailParserOptions options, List<string> warnings)
    {
        private int seen;
        private bool depthWarned;

        public TextPart? Text { get; private set; }

        public TextPart? Html { get; private set; }

        public List<ParsedAttachment> Attachments { get; } = [];

        public void Walk(MimeEntity? root)
        {
            if (root is null)
                return;
            // Each entry: an entity, its depth, and whether it is in the position of the message body.
            var pending = new Stack<(MimeEntity Entity, int Depth, bool IsBody, bool InRelated)>();
            pending.Push((root, 0, true, false));
            while (pending.Count > 0)
            {
                var (entity, depth, isBody, inRelated) = pending.Pop();
                if (++seen > options.MaxParts)
                {
                    warnings.Add($"The message has more than {options.MaxParts} MIME parts; the rest are left out (Mailing:Parsing:MaxParts).");
                    return;
                }
                if (entity is Multipart multipart)
                {
                    if (depth >= options.MaxMimeDepth)
                    {
                        if (!depthWarned)
                            warnings.Add($"MIME parts are nested deeper than {options.MaxMimeDepth} levels; the deeper ones are left out (Mailing:Parsing:MaxMimeDepth).");
                        depthWarned = true;
                        continue;
                    }
                    PushChildren(pending, multipart, depth, isBody);
                    continue;
                }
                Leaf(entity, isBody, inRelated);
            }
        }

        private static void PushChildren(Stack<(MimeEntity, int, bool, bool)> pending, Multipart multipart, int depth, bool isBody)
        {
            var subtype = multipart.ContentType.MediaSubtype;
            var related = subtype.Equals("related", StringComparison.OrdinalIgnoreCase);
            var alternative = subtype.Equals("alternative", StringComparison.OrdinalIgnoreCase);
            var root = related ? RelatedRoot(multipart) : 0;
            // Pushed in reverse so the first child is handled first.
            for (var i = multipart.Count - 1; i >= 0; i--)
            {
                // Alternatives are all candidates for the body (a later one wins); in related and other multiparts only
                // the root or first part is, the rest are attachments or inline resources.
                var childIsBody = isBody && (alternative || i == root);
                pending.Push((multipart[i], depth + 1, childIsBody, related));
            }
        }

        private static int RelatedRoot(Multipart related)
        {
            var start = related.ContentType.Parameters["start"];
            if (start is not null)
            {
                var id = start.Trim().Trim('<', '>');
                for (var i = 0; i < related.Count; i++)
                {
                    if (string.Equals(related[i].ContentId, id, StringComparison.Ordinal))
                        return i;
                }
            }
            return 0;
        }

        private void Leaf(MimeEntity entity, bool isBody, bool inRelated)
        {
            if (isBody && entity is TextPart { IsAttachment: false } textPart)
            {
                if (textPart.IsHtml)
                {
                    Html = textPart;
                    return;
                }
                if (textPart.IsPlain)
                {
                    Text = textPart;
                    return;
                }
            }
            if (entity is TnefPart tnef && options.UnpackTnef && Unpack(tnef))
                return;
            Add(entity, inRelated);
        }

        private bool Unpack(TnefPart tnef)
        {
            try
            {
                var extracted = tnef.ExtractAttachments().ToList();
                foreach (var inner in extracted)
                    Add(inner, inRelated: false);
                return true;
            }
            catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
            {
                // A TNEF stream is binary data from the sender: whatever breaks in reading it, keep the part as it is.
                warnings.Add($"The TNEF part '{tnef.FileName ?? "winmail.dat"}' could not be unpacked ({e.Message}); it is listed as is.");
                return false;
            }
        }

        private void Add(MimeEntity entity, bool inRelated)
        {
            var type = entity.ContentType;
            var isMessage = entity is MessagePart;
            var fileName = (entity as MimePart)?.FileName ?? entity.ContentDisposition?.FileName ?? type.Name;
            var disposition = entity.ContentDisposition?.Disposition;
            var isInline = disposition is null
                ? inRelated || entity.ContentId is not null
                : disposition.Equals(ContentDisposition.Inline, StringComparison.OrdinalIgnoreCase);
            Attachments.Add(new MimeAttachment(entity, options.MaxAttachmentSize)
            {
                FileName = fileName,
                ContentType = type.MimeType,
                ContentId = entity.ContentId,
                IsInline = isInline,
                IsMessage = isMessage,
            });
        }
    }
}
