namespace FedRad.Radiomics.Features;

/// <summary>Collects feature values as a family computes them.</summary>
internal sealed class FeatureSink
{
    private readonly List<FeatureValue> _values = [];
    public IReadOnlyList<FeatureValue> Values => _values;

    public void Add(string family, string name, string code, Aggregation aggregation, double value, string? nanReason = null)
    {
        if (double.IsNaN(value) && nanReason is null)
            throw new InvalidOperationException($"{family}_{name} ({code}) is NaN without a documented reason");
        _values.Add(new FeatureValue(family, name, code, aggregation, value, double.IsNaN(value) ? nanReason : null));
    }
}
