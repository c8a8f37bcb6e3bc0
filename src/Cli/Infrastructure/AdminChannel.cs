using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;
using FedRad.Protocol.V1;
using FedRad.Shared.Transfer;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FedRad.Cli.Infrastructure;

/// <summary>
/// A client of the coordinator's admin service. Over TLS it trusts the coordinator certificate the
/// consortium CA issued (<see cref="CaVariable"/>); it sends the admin token (--token or
/// <see cref="TokenVariable"/>) with every call.
/// </summary>
public sealed class AdminChannel : IDisposable
{
    /// <summary>Where commands take the admin token from when --token is not given.</summary>
    public const string TokenVariable = "FEDRAD_TOKEN";

    /// <summary>The consortium CA certificate (PEM) that issued the coordinator's certificate.</summary>
    public const string CaVariable = "FEDRAD_CA";

    private readonly GrpcChannel _channel;
    public AdminService.AdminServiceClient Client { get; }

    public AdminChannel(string url, string? token = null)
    {
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = TransferLimits.MaxGrpcMessageBytes,
            MaxSendMessageSize = TransferLimits.MaxGrpcMessageBytes,
            HttpHandler = Handler(),
        });
        token = string.IsNullOrEmpty(token) ? Environment.GetEnvironmentVariable(TokenVariable) : token;
        CallInvoker invoker = _channel.CreateCallInvoker();
        if (!string.IsNullOrEmpty(token))
            invoker = invoker.Intercept(metadata =>
            {
                metadata.Add("authorization", $"Bearer {token.Trim()}");
                return metadata;
            });
        Client = new AdminService.AdminServiceClient(invoker);
    }

    private static SocketsHttpHandler Handler()
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (Environment.GetEnvironmentVariable(CaVariable) is not { Length: > 0 } caPath) return handler;
        // An operator's tool presents no client certificate; it checks the coordinator's against the consortium CA.
        var validator = new CoordinatorCertificateValidator(PemFiles.ReadCertificate(caPath));
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (sender, cert, _, _) =>
                cert is not null && validator.Validate(X509CertificateLoader.LoadCertificate(cert.GetRawCertData()), (sender as SslStream)?.TargetHostName ?? "").Ok,
        };
        return handler;
    }

    public void Dispose() => _channel.Dispose();
}
