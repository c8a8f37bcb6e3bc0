using FedRad.Protocol.V1;
using FedRad.Shared.Transfer;
using Grpc.Net.Client;

namespace FedRad.Cli.Infrastructure;

/// <summary>A client of the coordinator's admin service.</summary>
public sealed class AdminChannel : IDisposable
{
    private readonly GrpcChannel _channel;
    public AdminService.AdminServiceClient Client { get; }

    public AdminChannel(string url)
    {
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = TransferLimits.MaxGrpcMessageBytes,
            MaxSendMessageSize = TransferLimits.MaxGrpcMessageBytes,
        });
        Client = new AdminService.AdminServiceClient(_channel);
    }

    public void Dispose() => _channel.Dispose();
}
