namespace FedRad.DeepLearning.Data;

/// <summary>How one synthetic site's scanner and population differ from the others (a non-IID federation).</summary>
public sealed record SyntheticSiteProfile
{
    /// <summary>Relative Gaussian noise of PET voxels.</summary>
    public double PetNoise { get; init; } = 0.05;
    /// <summary>Multiplies every SUV (calibration and reconstruction differences).</summary>
    public double UptakeScale { get; init; } = 1.0;
    /// <summary>Added to every HU value.</summary>
    public double CtOffsetHu { get; init; }
    /// <summary>Share of lesions drawn from the heterogeneous (label 1) range.</summary>
    public double PositiveShare { get; init; } = 0.5;
}

/// <summary>Synthetic lesion patches with the truth they were drawn from (for tests, benchmarks and Grad-CAM checks).</summary>
public sealed record SyntheticLesionSet(SampleSet Samples, bool[][] LesionMasks, double[] Heterogeneity);

/// <summary>
/// Lesion patches whose label depends on uptake heterogeneity, the task of the deep radiomics demo. Each patch is
/// S³ PET/CT voxels (4 mm): a background of SUV ≈ 1 and ≈ 30 HU, and a sphere (radius 3–5.5 voxels, centre within one
/// voxel of the middle) of mean SUV 4–10 whose uptake is modulated by a smooth random texture of coefficient of
/// variation h (12 plane waves of wavelength 2.5–6 voxels). h is drawn from [0.05, 0.15] for label 0 and
/// [0.35, 0.5] for label 1; mean uptake, size and CT carry no label information. Deterministic for a seed.
/// </summary>
public static class SyntheticLesions
{
    public const double NegativeMax = 0.15, PositiveMin = 0.35;

    public static SyntheticLesionSet Generate(int count, int seed, SyntheticSiteProfile? site = null, int patchSize = 16)
    {
        site ??= new SyntheticSiteProfile();
        var rng = new Random(seed);
        var voxels = patchSize * patchSize * patchSize;
        var inputs = new float[count * 2 * voxels];
        var labels = new int[count];
        var masks = new bool[count][];
        var het = new double[count];
        for (var n = 0; n < count; n++)
        {
            labels[n] = rng.NextDouble() < site.PositiveShare ? 1 : 0;
            het[n] = labels[n] == 1 ? Uniform(rng, PositiveMin, 0.5) : Uniform(rng, 0.05, NegativeMax);
            masks[n] = Draw(rng, het[n], site, patchSize, inputs.AsSpan(n * 2 * voxels, 2 * voxels));
        }
        return new SyntheticLesionSet(new SampleSet(inputs, [2, patchSize, patchSize, patchSize], labels), masks, het);
    }

    /// <summary>
    /// Two timepoints per lesion for the delta model ([4, S, S, S]: PET and CT at baseline, then at follow-up). The
    /// follow-up heterogeneity is the baseline's plus a change of ±(0.1–0.25); label 1 when it rose. The mean uptake also
    /// changes at random (×0.7–1.3), independently of the label.
    /// </summary>
    public static SampleSet GenerateDelta(int count, int seed, SyntheticSiteProfile? site = null, int patchSize = 16)
    {
        site ??= new SyntheticSiteProfile();
        var rng = new Random(seed);
        var voxels = patchSize * patchSize * patchSize;
        var inputs = new float[count * 4 * voxels];
        var labels = new int[count];
        for (var n = 0; n < count; n++)
        {
            labels[n] = rng.NextDouble() < 0.5 ? 1 : 0;
            var h0 = Uniform(rng, 0.1, 0.35);
            var change = Uniform(rng, 0.1, 0.25) * (labels[n] == 1 ? 1 : -1);
            var h1 = Math.Clamp(h0 + change, 0.02, 0.6);
            var sample = inputs.AsSpan(n * 4 * voxels, 4 * voxels);
            Draw(rng, h0, site, patchSize, sample[..(2 * voxels)]);
            Draw(rng, h1, site with { UptakeScale = site.UptakeScale * Uniform(rng, 0.7, 1.3) }, patchSize, sample[(2 * voxels)..]);
        }
        return new SampleSet(inputs, [4, patchSize, patchSize, patchSize], labels);
    }

    /// <summary>
    /// Hand-crafted features of each lesion for the MLP, in fixed units: SUVmean/10, SUV standard deviation/5,
    /// coefficient of variation, SUVmax/20, volume/500 voxels, CT mean/100 HU (all inside the lesion mask).
    /// </summary>
    public static SampleSet Features(SyntheticLesionSet set)
    {
        var s = set.Samples;
        var voxels = s.SampleSize / 2;
        const int f = 6;
        var features = new float[s.Count * f];
        for (var n = 0; n < s.Count; n++)
        {
            var x = s.Sample(n);
            double sum = 0, sum2 = 0, max = 0, ct = 0;
            var count = 0;
            for (var v = 0; v < voxels; v++)
            {
                if (!set.LesionMasks[n][v]) continue;
                var suv = PatchNormalisation.Suv(x[v]);
                sum += suv; sum2 += suv * suv; max = Math.Max(max, suv); ct += x[voxels + v] * PatchNormalisation.HuScale;
                count++;
            }
            var mean = sum / count;
            var sd = Math.Sqrt(Math.Max(0, sum2 / count - mean * mean));
            float[] row = [(float)(mean / 10), (float)(sd / 5), (float)(sd / mean), (float)(max / 20), (float)(count / 500.0), (float)(ct / count / 100)];
            row.CopyTo(features, n * f);
        }
        return new SampleSet(features, [f], s.Labels);
    }

    /// <summary>Draws one PET/CT patch into <paramref name="target"/> (PET then CT) and returns the lesion mask.</summary>
    private static bool[] Draw(Random rng, double heterogeneity, SyntheticSiteProfile site, int size, Span<float> target)
    {
        var voxels = size * size * size;
        var mid = (size - 1) / 2.0;
        var (cx, cy, cz) = (mid + Uniform(rng, -1, 1), mid + Uniform(rng, -1, 1), mid + Uniform(rng, -1, 1));
        var radius = Uniform(rng, 3, 5.5);
        var meanSuv = Uniform(rng, 4, 10);
        var background = Uniform(rng, 0.8, 1.2);
        var lesionHu = Uniform(rng, 20, 60);
        var waves = Enumerable.Range(0, 12).Select(_ =>
        {
            var (ux, uy, uz) = (Gaussian(rng), Gaussian(rng), Gaussian(rng));
            var k = 2 * Math.PI / Uniform(rng, 2.5, 6) / Math.Sqrt(ux * ux + uy * uy + uz * uz);
            return (X: ux * k, Y: uy * k, Z: uz * k, Phase: Uniform(rng, 0, 2 * Math.PI));
        }).ToArray();
        var textureScale = Math.Sqrt(2.0 / waves.Length);

        var mask = new bool[voxels];
        for (var z = 0; z < size; z++)
            for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                {
                    var v = x + size * (y + size * z);
                    var inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz) <= radius * radius;
                    double suv, hu;
                    if (inside)
                    {
                        var texture = 0.0;
                        foreach (var w in waves) texture += Math.Cos(w.X * x + w.Y * y + w.Z * z + w.Phase);
                        suv = meanSuv * Math.Max(0.05, 1 + heterogeneity * textureScale * texture);
                        hu = lesionHu + 10 * Gaussian(rng);
                    }
                    else
                    {
                        suv = background;
                        hu = 30 + 15 * Gaussian(rng);
                    }
                    mask[v] = inside;
                    suv *= site.UptakeScale * Math.Max(0, 1 + site.PetNoise * Gaussian(rng));
                    target[v] = PatchNormalisation.Pet(suv);
                    target[voxels + v] = PatchNormalisation.Ct(hu + site.CtOffsetHu);
                }
        return mask;
    }

    private static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
