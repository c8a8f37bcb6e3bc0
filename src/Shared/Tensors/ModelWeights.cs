using FedRad.Protocol.V1;

namespace FedRad.Shared.Tensors;

/// <summary>One named tensor held as doubles; <see cref="WireType"/> is the dtype it travels as.</summary>
public sealed record WeightTensor(string Name, long[] Shape, double[] Values, DType WireType = DType.Float64)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public string ShapeText => "[" + string.Join(",", Shape) + "]";
}

/// <summary>An ordered set of named tensors: a model's weights, an update, or an aggregate.</summary>
public sealed class ModelWeights
{
    public IReadOnlyList<WeightTensor> Tensors { get; }

    public ModelWeights(IEnumerable<WeightTensor> tensors)
    {
        Tensors = tensors.ToList();
        var dup = Tensors.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"tensor name '{dup.Key}' appears more than once");
    }

    public WeightTensor this[string name] =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"no tensor named '{name}'");

    public long ParameterCount => Tensors.Sum(t => t.ElementCount);

    /// <summary>The layout (names, shapes, dtypes) without values: what a round expects every update to match.</summary>
    public IReadOnlyList<TensorSpec> Spec => Tensors.Select(t => new TensorSpec(t.Name, t.Shape, t.WireType)).ToList();
}

public sealed record TensorSpec(string Name, long[] Shape, DType WireType)
{
    public string ShapeText => "[" + string.Join(",", Shape) + "]";
}
