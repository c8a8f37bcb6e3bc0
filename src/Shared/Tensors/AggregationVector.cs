using System.Buffers.Binary;
using FedRad.Protocol.V1;
using Google.Protobuf;

namespace FedRad.Shared.Tensors;

/// <summary>
/// What a site contributes to a secure-aggregation session (docs/privacy.md §7), one flat vector:
/// <c>[v₁ … v_k, loss slot, weight]</c>, where v is the payload's tensors flattened in order and scaled
/// by the weight. FedAvg: v = n·w, loss slot n·loss, weight n, so the coordinator learns Σnw, Σn·loss
/// and Σn, never one site's. Differential privacy: v = the clipped, noised update, loss slot 0,
/// weight 1 (DP-FedAvg weights sites equally: a sample count is data-dependent). Standardisation:
/// v = the per-feature sums and sums of squares, weight n. The masked form travels as one
/// <see cref="DType.Uint64"/> tensor named <see cref="MaskedTensor"/>.
/// </summary>
public static class AggregationVector
{
    public const string MaskedTensor = "masked";

    /// <summary>Elements of the vector for a payload laid out as <paramref name="layout"/>.</summary>
    public static int Length(ModelWeights layout) => checked((int)layout.ParameterCount + 2);

    public static double[] Compose(ModelWeights payload, double scale, double lossSlot, double weight)
    {
        var v = new double[Length(payload)];
        var at = 0;
        foreach (var t in payload.Tensors)
            foreach (var x in t.Values) v[at++] = scale * x;
        v[at++] = lossSlot;
        v[at] = weight;
        return v;
    }

    /// <summary>The leading <c>k</c> elements of a (summed) vector back into tensors laid out as <paramref name="layout"/>, each divided by <paramref name="divisor"/>.</summary>
    public static ModelWeights Values(ModelWeights layout, ReadOnlySpan<double> sum, double divisor)
    {
        if (sum.Length != Length(layout))
            throw new TensorFormatException($"the summed vector has {sum.Length} elements; the layout needs {Length(layout)}");
        var tensors = new List<WeightTensor>(layout.Tensors.Count);
        var at = 0;
        foreach (var t in layout.Tensors)
        {
            var values = new double[t.Values.Length];
            for (var i = 0; i < values.Length; i++) values[i] = sum[at++] / divisor;
            tensors.Add(t with { Values = values });
        }
        return new ModelWeights(tensors);
    }

    public static byte[] SerializeMasked(ReadOnlySpan<ulong> masked)
    {
        var data = new byte[masked.Length * 8];
        for (var i = 0; i < masked.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i * 8), masked[i]);
        var tensor = new NamedTensor { Name = MaskedTensor, Dtype = DType.Uint64, Data = ByteString.CopyFrom(data) };
        tensor.Shape.Add(masked.Length);
        var bundle = new TensorBundle();
        bundle.Tensors.Add(tensor);
        return bundle.ToByteArray();
    }

    /// <summary>The masked vector of an upload; a payload that is not exactly one uint64 tensor "masked" is refused naming what is wrong (its length is the session's to check).</summary>
    public static ulong[] DeserializeMasked(ReadOnlySpan<byte> payload)
    {
        TensorBundle bundle;
        try { bundle = TensorBundle.Parser.ParseFrom(payload); }
        catch (InvalidProtocolBufferException e) { throw new TensorFormatException($"payload is not a valid tensor bundle: {e.Message}"); }
        if (bundle.Tensors.Count != 1 || bundle.Tensors[0].Name != MaskedTensor)
            throw new TensorFormatException($"a masked input is one tensor named '{MaskedTensor}'; got {string.Join(", ", bundle.Tensors.Select(t => $"'{t.Name}'"))}");
        var t = bundle.Tensors[0];
        if (t.Dtype != DType.Uint64) throw new TensorFormatException($"tensor '{MaskedTensor}' must be {DType.Uint64}, got {t.Dtype}");
        if (t.Shape.Count != 1 || t.Shape[0] < 1 || t.Shape[0] > int.MaxValue / 8 || t.Data.Length != t.Shape[0] * 8)
            throw new TensorFormatException($"tensor '{MaskedTensor}' has shape [{string.Join(",", t.Shape)}] and {t.Data.Length} bytes; a masked input is a vector of 8-byte elements");
        var length = (int)t.Shape[0];
        var masked = new ulong[length];
        var span = t.Data.Span;
        for (var i = 0; i < length; i++) masked[i] = BinaryPrimitives.ReadUInt64LittleEndian(span[(i * 8)..]);
        return masked;
    }
}
