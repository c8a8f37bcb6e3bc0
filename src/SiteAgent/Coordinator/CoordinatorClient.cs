using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;
using FedRad.Protocol.V1;
using FedRad.Shared.Transfer;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace FedRad.SiteAgent.Coordinator;

/// <summary>
/// The agent's side of the site protocol: resumable, verified model downloads and resumable,
/// idempotent result uploads, each retried with backoff across broken connections.
/// </summary>
public sealed class CoordinatorClient : IDisposable
{
    private const int MaxAttempts = 8;
    private readonly string[] _urls;
    private readonly Lock _gate = new();
    private int _current;
    private GrpcChannel _channel;
    private readonly List<GrpcChannel> _retired = [];
    private readonly double _maxBackoffSeconds;
    private readonly ILogger _log;

    public SiteService.SiteServiceClient Site { get; private set; }

    public string Url => _urls[_current];

    private readonly (X509Certificate2 Site, X509Certificate2 Ca)? _tls;

    /// <param name="urls">One coordinator address, or several (comma-separated) silos of one cluster to fail over between.</param>
    /// <param name="tls">The site's certificate (with key) and the consortium CA, for mutual TLS; null for plain HTTP/2.</param>
    public CoordinatorClient(string urls, double maxBackoffSeconds, ILogger log, (X509Certificate2 Site, X509Certificate2 Ca)? tls = null)
    {
        _urls = urls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (_urls.Length == 0) throw new ArgumentException("no coordinator address given");
        _tls = tls;
        _maxBackoffSeconds = maxBackoffSeconds;
        _log = log;
        _channel = Open(_urls[0]);
        Site = new SiteService.SiteServiceClient(_channel);
    }

    private GrpcChannel Open(string url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = TransferLimits.MaxGrpcMessageBytes,
        MaxSendMessageSize = TransferLimits.MaxGrpcMessageBytes,
        // With TLS the agent presents its certificate and trusts only a coordinator certificate of the consortium CA.
        HttpHandler = _tls is { } t ? MutualTls.SiteHandler(t.Site, t.Ca, reason => _log.LogError("Coordinator certificate refused: {Reason}", reason)) : null,
    });

    /// <summary>After a transport failure: move to the next coordinator address, if there is more than one.</summary>
    public void Failover()
    {
        if (_urls.Length < 2) return;
        lock (_gate)
        {
            // The old channel is not disposed here: a stream still reading from it must fail on its
            // own (Unavailable), not with ObjectDisposedException. All channels close with the client.
            _retired.Add(_channel);
            _current = (_current + 1) % _urls.Length;
            _channel = Open(_urls[_current]);
            Site = new SiteService.SiteServiceClient(_channel);
        }
        _log.LogWarning("Switching to coordinator {Url}", Url);
    }

    /// <summary>Downloads a model, resuming from the bytes already held after a broken stream, and checks its SHA-256.</summary>
    public async Task<byte[]> Download(string siteId, Protocol.V1.ModelRef model, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var backoff = new Backoff(_maxBackoffSeconds);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = Site.DownloadModel(new DownloadModelRequest { SiteId = siteId, ModelId = model.ModelId, Offset = buffer.Length }, cancellationToken: ct);
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
                {
                    if (chunk.Offset != buffer.Length)
                        throw new InvalidDataException($"model {model.ModelId}: chunk at offset {chunk.Offset}, expected {buffer.Length}");
                    chunk.Data.WriteTo(buffer);
                }
                break;
            }
            catch (RpcException e) when (Backoff.IsTransient(e) && attempt < MaxAttempts && !ct.IsCancellationRequested)
            {
                _log.LogWarning("Download of model {Model} broke at {Offset} bytes ({Status}); resuming", model.ModelId, buffer.Length, e.StatusCode);
                Failover();
                await Task.Delay(backoff.Next(), ct);
            }
        }
        var data = buffer.ToArray();
        if (data.Length != model.SizeBytes || Payload.Sha256Hex(data) != model.Sha256)
            throw new InvalidDataException($"model {model.ModelId}: received {data.Length} bytes whose SHA-256 does not match the task's ({model.SizeBytes} bytes)");
        return data;
    }

    /// <summary>
    /// Uploads a result. After a broken transfer it asks the coordinator how much it already holds and
    /// resumes from there; if the coordinator already accepted this payload it stops (nothing counts twice).
    /// </summary>
    public async Task<UploadResponse> Upload(UploadHeader header, byte[] payload, CancellationToken ct)
    {
        header.TotalBytes = payload.Length;
        header.Sha256 = Payload.Sha256Hex(payload);
        var backoff = new Backoff(_maxBackoffSeconds);
        long offset = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (attempt > 1)
                {
                    var status = await Site.GetUploadStatusAsync(new UploadStatusRequest
                    {
                        SiteId = header.SiteId, StudyId = header.StudyId, Round = header.Round, TaskId = header.TaskId, Sha256 = header.Sha256,
                    }, cancellationToken: ct);
                    if (status.Complete)
                        return new UploadResponse { Outcome = UploadResponse.Types.Outcome.Duplicate, Message = "the coordinator already holds this result" };
                    offset = status.ReceivedBytes;
                }
                return await Send(header, payload, offset, ct);
            }
            catch (RpcException e) when (Backoff.IsTransient(e) && attempt < MaxAttempts && !ct.IsCancellationRequested)
            {
                _log.LogWarning("Upload of {Task} broke ({Status}: {Detail}); resuming", header.TaskId, e.StatusCode, e.Status.Detail);
                Failover();
                await Task.Delay(backoff.Next(), ct);
            }
        }
    }

    private async Task<UploadResponse> Send(UploadHeader header, byte[] payload, long offset, CancellationToken ct)
    {
        header.ResumeOffset = offset;
        using var call = Site.UploadResult(cancellationToken: ct);
        await call.WriteUnlessAnswered(new UploadMessage { Header = header }, ct);
        foreach (var (at, data) in Payload.Chunks(payload, offset))
            await call.WriteUnlessAnswered(new UploadMessage
            {
                Chunk = new PayloadChunk { Offset = at, Data = UnsafeByteOperations.UnsafeWrap(data), TotalBytes = payload.Length },
            }, ct);
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    public void Dispose()
    {
        foreach (var c in _retired) c.Dispose();
        _channel.Dispose();
    }
}
