using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;
using FedRad.Shared.Transfer;
using Google.Protobuf;

namespace FedRad.Tests.Protocol;

public sealed class TensorCodecTests
{
    [Fact]
    public void Tensors_travel_as_little_endian_bytes_of_their_dtype()
    {
        var weights = new ModelWeights(
        [
            new WeightTensor("d", [2], [1.0, -2.0], DType.Float64),
            new WeightTensor("f", [1, 1], [0.5], DType.Float32),
        ]);
        var bundle = TensorBundle.Parser.ParseFrom(TensorCodec.Serialize(weights));

        // IEEE 754: 1.0 = 0x3FF0000000000000, -2.0 = 0xC000000000000000, 0.5f = 0x3F000000 (little-endian on the wire).
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0 }, bundle.Tensors[0].Data.ToByteArray());
        Assert.Equal(new byte[] { 0, 0, 0, 0x3F }, bundle.Tensors[1].Data.ToByteArray());
        Assert.Equal([1L, 1L], bundle.Tensors[1].Shape);

        var back = TensorCodec.Deserialize(TensorCodec.Serialize(weights));
        Assert.Equal([1.0, -2.0], back["d"].Values);
        Assert.Equal(DType.Float32, back["f"].WireType);
    }

    [Fact]
    public void Structural_problems_are_reported_with_the_tensor_name()
    {
        var bundle = new TensorBundle { Tensors = { new NamedTensor { Name = "w", Shape = { 3 }, Dtype = DType.Float64, Data = ByteString.CopyFrom(new byte[16]) } } };
        var e = Assert.Throws<TensorFormatException>(() => TensorCodec.Deserialize(bundle.ToByteArray()));
        Assert.Equal("tensor 'w' has 16 data bytes but shape [3] of Float64 needs 24", e.Message);

        var noType = new TensorBundle { Tensors = { new NamedTensor { Name = "x", Shape = { 1 }, Data = ByteString.CopyFrom(new byte[8]) } } };
        Assert.Contains("unsupported dtype", Assert.Throws<TensorFormatException>(() => TensorCodec.Deserialize(noType.ToByteArray())).Message);

        var twice = new TensorBundle
        {
            Tensors =
            {
                new NamedTensor { Name = "y", Shape = { 1 }, Dtype = DType.Float64, Data = ByteString.CopyFrom(new byte[8]) },
                new NamedTensor { Name = "y", Shape = { 1 }, Dtype = DType.Float64, Data = ByteString.CopyFrom(new byte[8]) },
            },
        };
        Assert.Contains("appears more than once", Assert.Throws<TensorFormatException>(() => TensorCodec.Deserialize(twice.ToByteArray())).Message);

        var huge = new TensorBundle { Tensors = { new NamedTensor { Name = "z", Shape = { 1 << 20, 1 << 20 }, Dtype = DType.Float64 } } };
        Assert.Contains("more than", Assert.Throws<TensorFormatException>(() => TensorCodec.Deserialize(huge.ToByteArray())).Message);

        Assert.Throws<TensorFormatException>(() => TensorCodec.Deserialize(new byte[] { 0xFF, 0xFF, 0xFF }));
    }

    [Fact]
    public void Chunks_are_at_most_one_mebibyte_and_resume_at_an_offset()
    {
        var payload = new byte[(5 << 20) / 2]; // 2.5 MiB
        new Random(3).NextBytes(payload);
        var chunks = Payload.Chunks(payload).ToList();
        Assert.Equal([0L, 1 << 20, 2 << 20], chunks.Select(c => c.Offset));
        Assert.All(chunks, c => Assert.True(c.Data.Length <= TransferLimits.MaxChunkBytes));
        Assert.Equal(payload, chunks.SelectMany(c => c.Data.ToArray()).ToArray());

        var resumed = Payload.Chunks(payload, offset: 1_500_000).ToList();
        Assert.Equal(1_500_000, resumed[0].Offset);
        Assert.Equal(payload.Length - 1_500_000, resumed.Sum(c => c.Data.Length));
        Assert.Throws<ArgumentOutOfRangeException>(() => Payload.Chunks(payload, offset: payload.Length + 1).ToList());
    }

    [Fact]
    public void Sha256_matches_the_standard_test_vector()
    {
        // FIPS 180-2 example: SHA-256("abc").
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Payload.Sha256Hex("abc"u8));
    }
}
