using System.Diagnostics;
using FedRad.Privacy.SecureAggregation;

namespace FedRad.Privacy.Tests.SecureAggregation;

public class PrimitiveTests
{
    [Fact]
    public void The_mask_generator_is_aes_256_ctr_as_openssl_computes_it()
    {
        var seed = Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray();
        var mask = new ulong[1001]; // odd: the last block is used half
        MaskGenerator.Apply(seed, mask, subtract: false);

        // OpenSSL encrypts 8016 zero bytes with the same key and a zero counter block: the key stream.
        var psi = new ProcessStartInfo("openssl", ["enc", "-aes-256-ctr", "-K", Convert.ToHexString(seed), "-iv", new string('0', 32), "-nosalt"])
        { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var openssl = Process.Start(psi)!;
        openssl.StandardInput.BaseStream.Write(new byte[8 * 1001]);
        openssl.StandardInput.Close();
        using var output = new MemoryStream();
        openssl.StandardOutput.BaseStream.CopyTo(output);
        openssl.WaitForExit();
        Assert.True(openssl.ExitCode == 0, openssl.StandardError.ReadToEnd());
        var stream = output.ToArray();
        Assert.Equal(8 * 1001, stream.Length);
        for (var i = 0; i < mask.Length; i++) Assert.Equal(BitConverter.ToUInt64(stream, 8 * i), mask[i]);

        MaskGenerator.Apply(seed, mask, subtract: true);
        Assert.All(mask, v => Assert.Equal(0UL, v));
    }

    [Fact]
    public void Any_threshold_of_shamir_shares_gives_the_secret_back_and_fewer_do_not()
    {
        var random = new SeededRandom(4);
        var secret = random.Bytes(32);
        var shares = Shamir.Split(secret, 4, 7, random);
        Assert.All(shares, s => Assert.True(Shamir.IsShareValue(s)));
        int[][] subsets = [[1, 2, 3, 4], [7, 5, 3, 1], [2, 4, 6, 7], [1, 2, 3, 4, 5, 6, 7]];
        foreach (var xs in subsets)
            Assert.Equal(secret, Shamir.Combine(xs.Select(x => (x, shares[x - 1])).ToList(), 32));
        var three = Shamir.Combine([(1, shares[0]), (2, shares[1]), (3, shares[2])], 32);
        Assert.NotEqual(secret, three);
    }
}
