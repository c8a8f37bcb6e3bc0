namespace FedRad.Shared.Transfer;

/// <summary>Sizes both ends of the protocol agree on. Set explicitly on every channel and server.</summary>
public static class TransferLimits
{
    /// <summary>Payload bytes per chunk (the protocol's upper bound).</summary>
    public const int MaxChunkBytes = 1 << 20;

    /// <summary>Largest single gRPC message: one chunk plus headroom for framing and the header fields.</summary>
    public const int MaxGrpcMessageBytes = MaxChunkBytes + (64 << 10);

    /// <summary>Default largest model payload a coordinator accepts (a 60M-parameter float64 model).</summary>
    public const long DefaultMaxPayloadBytes = 512L << 20;
}
