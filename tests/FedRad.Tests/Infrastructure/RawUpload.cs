using FedRad.Learning.Models;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using Google.Protobuf;
using Grpc.Core;

namespace FedRad.Tests.Infrastructure;

/// <summary>Hand-built uploads, so that tests can send exactly the bytes a faulty or hostile site would.</summary>
public static class RawUpload
{
    public static ModelWeights LogReg(double[] coef, double intercept) => new LogisticRegression(coef, intercept).ToWeights();

    public static UploadHeader Header(string study, int round, string site, long n, byte[] payload, double loss = 0.5) => new()
    {
        SiteId = site, StudyId = study, Round = round, TaskId = $"{study}/{round}/{site}", Kind = TaskKind.Train,
        SampleCount = n, TotalBytes = payload.Length, Sha256 = Payload.Sha256Hex(payload), Metrics = { ["loss"] = loss },
    };

    /// <summary>Sends the header and the payload's chunks (from <paramref name="from"/>, up to <paramref name="until"/> bytes) and returns the response.</summary>
    public static async Task<UploadResponse> Send(SiteService.SiteServiceClient client, UploadHeader header, byte[] payload, long from = 0, long? until = null, int chunkBytes = TransferLimits.MaxChunkBytes)
    {
        // A deadline, so that a call the server never answers fails the test instead of hanging the suite.
        using var call = client.UploadResult(deadline: DateTime.UtcNow.AddSeconds(60));
        header.ResumeOffset = from;
        await call.WriteUnlessAnswered(new UploadMessage { Header = header });
        var end = until ?? payload.Length;
        for (var at = from; at < end; at += chunkBytes)
        {
            var n = (int)Math.Min(chunkBytes, end - at);
            await call.WriteUnlessAnswered(new UploadMessage { Chunk = new PayloadChunk { Offset = at, Data = ByteString.CopyFrom(payload, (int)at, n), TotalBytes = payload.Length } });
        }
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    public static async Task<UploadResponse> Send(SiteService.SiteServiceClient client, string study, int round, string site, long n, ModelWeights weights, double loss = 0.5)
    {
        var payload = TensorCodec.Serialize(weights);
        return await Send(client, Header(study, round, site, n, payload, loss), payload);
    }

    public static async Task<RpcException> Refused(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);
}
