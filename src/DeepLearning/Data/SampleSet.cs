namespace FedRad.DeepLearning.Data;

/// <summary>
/// Labelled samples for a deep model, held as one float array: sample i occupies
/// [i·SampleSize, (i+1)·SampleSize) in row-major <see cref="SampleShape"/> order. Stays at the site.
/// </summary>
public sealed class SampleSet
{
    public float[] Inputs { get; }
    public long[] SampleShape { get; }
    public int[] Labels { get; }
    public int SampleSize { get; }
    public int Count => Labels.Length;

    public SampleSet(float[] inputs, long[] sampleShape, int[] labels)
    {
        SampleSize = checked((int)sampleShape.Aggregate(1L, (a, b) => a * b));
        if (inputs.Length != (long)SampleSize * labels.Length)
            throw new ArgumentException($"{inputs.Length} input values do not make {labels.Length} samples of shape [{string.Join(",", sampleShape)}]");
        if (labels.Any(l => l is not (0 or 1))) throw new ArgumentException("labels must be 0 or 1");
        if (inputs.Any(v => !float.IsFinite(v))) throw new ArgumentException("inputs contain NaN or infinite values");
        Inputs = inputs;
        SampleShape = sampleShape;
        Labels = labels;
    }

    public ReadOnlySpan<float> Sample(int i) => Inputs.AsSpan(i * SampleSize, SampleSize);

    /// <summary>The samples at <paramref name="indices"/>, in that order.</summary>
    public SampleSet Subset(IReadOnlyList<int> indices)
    {
        var inputs = new float[indices.Count * SampleSize];
        for (var k = 0; k < indices.Count; k++) Sample(indices[k]).CopyTo(inputs.AsSpan(k * SampleSize));
        return new SampleSet(inputs, SampleShape, indices.Select(i => Labels[i]).ToArray());
    }

    public static SampleSet Concat(IReadOnlyList<SampleSet> sets)
    {
        if (sets.Count == 0) throw new ArgumentException("nothing to concatenate");
        if (sets.Any(s => !s.SampleShape.SequenceEqual(sets[0].SampleShape))) throw new ArgumentException("sample shapes differ");
        return new SampleSet(sets.SelectMany(s => s.Inputs).ToArray(), sets[0].SampleShape, sets.SelectMany(s => s.Labels).ToArray());
    }
}
