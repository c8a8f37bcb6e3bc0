using System.Buffers.Binary;
using FedRad.Protocol.V1;
using Google.Protobuf;

namespace FedRad.Shared.Tensors;

/// <summary>Thrown when a payload is not a well-formed tensor bundle or does not match what was expected.</summary>
public sealed class TensorFormatException(string message) : Exception(message);

/// <summary>
/// Converts <see cref="ModelWeights"/> to and from the wire form (a serialized <see cref="TensorBundle"/>
/// of little-endian tensors) and checks an update against an expected layout.
/// </summary>
public static class TensorCodec
{
    public static byte[] Serialize(ModelWeights weights)
    {
        var bundle = new TensorBundle();
        foreach (var t in weights.Tensors)
        {
            var nt = new NamedTensor { Name = t.Name, Dtype = t.WireType, Data = ByteString.CopyFrom(Encode(t)) };
            nt.Shape.AddRange(t.Shape);
            bundle.Tensors.Add(nt);
        }
        return bundle.ToByteArray();
    }

    /// <summary>Parses a payload; every structural problem becomes a <see cref="TensorFormatException"/> naming the tensor.</summary>
    public static ModelWeights Deserialize(ReadOnlySpan<byte> payload)
    {
        TensorBundle bundle;
        try { bundle = TensorBundle.Parser.ParseFrom(payload); }
        catch (InvalidProtocolBufferException e) { throw new TensorFormatException($"payload is not a valid tensor bundle: {e.Message}"); }

        var tensors = new List<WeightTensor>(bundle.Tensors.Count);
        var names = new HashSet<string>();
        foreach (var nt in bundle.Tensors)
        {
            if (string.IsNullOrEmpty(nt.Name)) throw new TensorFormatException("a tensor has no name");
            if (!names.Add(nt.Name)) throw new TensorFormatException($"tensor '{nt.Name}' appears more than once");
            if (nt.Shape.Any(d => d < 0)) throw new TensorFormatException($"tensor '{nt.Name}' has a negative dimension in shape [{string.Join(",", nt.Shape)}]");
            var size = ElementSize(nt.Dtype, nt.Name);
            long count = 1;
            foreach (var d in nt.Shape)
            {
                count *= d;
                if (count > int.MaxValue) throw new TensorFormatException($"tensor '{nt.Name}' declares more than {int.MaxValue} elements");
            }
            if (nt.Data.Length != count * size)
                throw new TensorFormatException($"tensor '{nt.Name}' has {nt.Data.Length} data bytes but shape [{string.Join(",", nt.Shape)}] of {nt.Dtype} needs {count * size}");
            tensors.Add(new WeightTensor(nt.Name, nt.Shape.ToArray(), Decode(nt.Data.Span, nt.Dtype, (int)count), nt.Dtype));
        }
        return new ModelWeights(tensors);
    }

    /// <summary>
    /// Checks that <paramref name="update"/> has exactly the tensors of <paramref name="expected"/> (names and shapes)
    /// and only finite values. Returns null when it does, else the first problem found.
    /// </summary>
    public static string? Validate(ModelWeights update, IReadOnlyList<TensorSpec> expected)
    {
        if (update.Tensors.Count != expected.Count)
            return $"expected {expected.Count} tensors ({string.Join(", ", expected.Select(e => e.Name))}) but got {update.Tensors.Count} ({string.Join(", ", update.Tensors.Select(t => t.Name))})";
        foreach (var spec in expected)
        {
            var t = update.Tensors.FirstOrDefault(x => x.Name == spec.Name);
            if (t is null) return $"tensor '{spec.Name}' is missing";
            if (!t.Shape.SequenceEqual(spec.Shape)) return $"tensor '{spec.Name}' has shape {t.ShapeText}, expected {spec.ShapeText}";
            for (var i = 0; i < t.Values.Length; i++)
                if (!double.IsFinite(t.Values[i]))
                    return $"tensor '{spec.Name}' has a non-finite value ({t.Values[i]}) at element {i}";
        }
        return null;
    }

    private static int ElementSize(DType dtype, string name) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        _ => throw new TensorFormatException($"tensor '{name}' has unsupported dtype {dtype}")
    };

    private static byte[] Encode(WeightTensor t)
    {
        var size = ElementSize(t.WireType, t.Name);
        var bytes = new byte[t.Values.Length * size];
        for (var i = 0; i < t.Values.Length; i++)
        {
            if (t.WireType == DType.Float32) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), (float)t.Values[i]);
            else BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), t.Values[i]);
        }
        return bytes;
    }

    private static double[] Decode(ReadOnlySpan<byte> data, DType dtype, int count)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
            values[i] = dtype == DType.Float32
                ? BinaryPrimitives.ReadSingleLittleEndian(data.Slice(i * 4))
                : BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(i * 8));
        return values;
    }
}
