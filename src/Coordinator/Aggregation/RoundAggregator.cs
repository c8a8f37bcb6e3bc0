using System.Numerics;
using System.Runtime.InteropServices;
using FedRad.Protocol.V1;
using FedRad.Shared.Tensors;

namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// The screening every strategy applies to an update before its rule sees it: a non-positive sample count throws;
/// wrong tensor names or shapes and NaN/±Inf are rejected with the reason; the update's distance to the global model
/// ‖wᵢ − g‖₂ is measured for the norm check, which streaming and buffering aggregators apply differently.
/// </summary>
public abstract class RoundAggregator : IUpdateAggregator
{
    /// <summary>Server-state tensor holding the median update norm of the last round (the reference of the norm check).</summary>
    public const string ReferenceNormTensor = "screen.reference_norm";

    protected ModelWeights Global { get; }
    /// <summary>The global model's values, one array per tensor in the global model's order.</summary>
    protected double[][] GlobalValues { get; }
    protected StrategyOptions Options { get; }
    private readonly List<string> _log = [];
    private int _offered;

    protected RoundAggregator(ModelWeights global, StrategyOptions options)
    {
        Global = global;
        Options = options;
        GlobalValues = global.Tensors.Select(t => t.Values).ToArray();
    }

    public int Count { get; private set; }

    public ModelWeights? NextServerState { get; protected set; }

    public IReadOnlyList<string> Log => _log;

    public UpdateVerdict Add(ModelWeights update, long sampleCount, string siteId = "")
    {
        if (sampleCount <= 0) throw new ArgumentOutOfRangeException(nameof(sampleCount), "sample count must be positive");
        _offered++;
        var who = siteId.Length > 0 ? $"site '{siteId}'" : $"update #{_offered}";
        if (TensorCodec.Validate(update, Global.Spec) is { } problem) return Reject(who, problem);
        var values = GlobalValues.Select((_, t) => update[Global.Tensors[t].Name].Values).ToArray();
        var norm = Distance(values, GlobalValues);
        if (ScreenNorm(norm) is { } normProblem) return Reject(who, normProblem);
        Fold(values, sampleCount, who, norm);
        Count++;
        return UpdateVerdict.Ok;
    }

    public ModelWeights Finish()
    {
        if (Count == 0) throw new InvalidOperationException("no update to aggregate");
        return WithValues(Combine());
    }

    /// <summary>Null when an update this far from the global model may be folded, else why not.</summary>
    protected abstract string? ScreenNorm(double norm);

    /// <summary>Takes in one screened update (its arrays belong to the caller's model: copy what must outlive the call).</summary>
    protected abstract void Fold(double[][] values, long sampleCount, string who, double norm);

    /// <summary>The new global model's values, in the global model's layout; sets <see cref="NextServerState"/>.</summary>
    protected abstract double[][] Combine();

    protected void Note(string line) => _log.Add(line);

    protected ModelWeights WithValues(double[][] values) => new(Global.Tensors.Select((t, k) => t with { Values = values[k] }));

    protected double[][] NewLikeGlobal() => GlobalValues.Select(g => new double[g.Length]).ToArray();

    /// <summary>A scalar of the server state as a float64 tensor.</summary>
    protected static WeightTensor Scalar(string name, double value) => new(name, [1], [value], DType.Float64);

    /// <summary>The reference norm the previous round left, or null (first round, or state without one).</summary>
    protected static double? ReferenceNorm(ModelWeights? state) =>
        state?.Tensors.FirstOrDefault(t => t.Name == ReferenceNormTensor) is { Values: [var v] } && double.IsFinite(v) && v > 0 ? v : null;

    protected static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /// <summary>Euclidean distance between two models laid out alike (SIMD: aggregation is bound by memory bandwidth).</summary>
    protected static double Distance(double[][] a, double[][] b)
    {
        double sum = 0;
        for (var t = 0; t < a.Length; t++)
        {
            var x = a[t].AsSpan();
            var y = b[t].AsSpan();
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var acc = Vector<double>.Zero;
            for (var i = 0; i < vx.Length; i++) { var d = vx[i] - vy[i]; acc += d * d; }
            sum += Vector.Sum(acc);
            for (var i = vx.Length * Vector<double>.Count; i < x.Length; i++) { var d = x[i] - y[i]; sum += d * d; }
        }
        return Math.Sqrt(sum);
    }

    private UpdateVerdict Reject(string who, string reason)
    {
        Note($"rejected {who}: {reason}");
        return UpdateVerdict.Rejected(reason);
    }
}

/// <summary>
/// Aggregators that fold each update into a running sample-weighted sum Σ nᵢ wᵢ as it arrives: memory of one model
/// (plus what the rule keeps across rounds), whatever the number of sites. The norm check compares an update with the
/// median norm of the previous round's accepted updates, so it starts from the second round (first: no reference).
/// </summary>
public abstract class StreamingAggregator : RoundAggregator
{
    private readonly double[][] _sums;
    private readonly double? _reference;
    private readonly List<double> _norms = [];
    private double _totalWeight;

    protected StreamingAggregator(ModelWeights global, ModelWeights? serverState, StrategyOptions options) : base(global, options)
    {
        _sums = NewLikeGlobal();
        _reference = ReferenceNorm(serverState);
    }

    protected override string? ScreenNorm(double norm)
    {
        if (Options.NormOutlierFactor == 0 || _reference is not { } reference || norm <= Options.NormOutlierFactor * reference) return null;
        return $"update norm ‖w − global‖ = {norm:G4} is {norm / reference:0.#} times the reference {reference:G4} (median of the previous round's accepted updates), above the limit of {Options.NormOutlierFactor:G3}";
    }

    protected override void Fold(double[][] values, long sampleCount, string who, double norm)
    {
        for (var t = 0; t < _sums.Length; t++)
        {
            var sum = _sums[t].AsSpan();
            var v = values[t].AsSpan();
            var vs = MemoryMarshal.Cast<double, Vector<double>>(sum);
            var vv = MemoryMarshal.Cast<double, Vector<double>>(v);
            var n = new Vector<double>(sampleCount);
            for (var i = 0; i < vs.Length; i++) vs[i] += n * vv[i];
            for (var i = vs.Length * Vector<double>.Count; i < sum.Length; i++) sum[i] += sampleCount * v[i];
        }
        _totalWeight += sampleCount;
        _norms.Add(norm);
    }

    /// <summary>The sample-weighted mean Σ nᵢ wᵢ / Σ nᵢ of the accepted updates.</summary>
    protected double[][] WeightedMean() => _sums.Select(s => s.Select(v => v / _totalWeight).ToArray()).ToArray();

    /// <summary>The state that carries this round's median update norm to the next round's norm check.</summary>
    protected WeightTensor NextReference() => Scalar(ReferenceNormTensor, Median(_norms));
}

/// <summary>
/// Aggregators whose rule needs every update at once (coordinate-wise median, trimmed mean, Krum): memory of one
/// model per accepted site. Their norm check runs when the round closes, against the median norm of this round.
/// Updates are ordered by site id before the rule runs, so the result does not depend on the order of arrival.
/// </summary>
public abstract class BufferingAggregator(ModelWeights global, StrategyOptions options) : RoundAggregator(global, options)
{
    protected sealed record Buffered(string Who, long SampleCount, double Norm, double[][] Values);

    private readonly List<Buffered> _updates = [];

    protected override string? ScreenNorm(double norm) => null;

    protected override void Fold(double[][] values, long sampleCount, string who, double norm) =>
        _updates.Add(new Buffered(who, sampleCount, norm, values.Select(v => (double[])v.Clone()).ToArray()));

    protected override double[][] Combine()
    {
        var updates = _updates.OrderBy(u => u.Who, StringComparer.Ordinal).ToList();
        if (Options.NormOutlierFactor > 0 && updates.Count >= 3)
        {
            var reference = Median(updates.Select(u => u.Norm).ToList());
            if (reference > 0)
                foreach (var u in updates.Where(u => u.Norm > Options.NormOutlierFactor * reference).ToList())
                {
                    Note($"excluded {u.Who}: update norm ‖w − global‖ = {u.Norm:G4} is {u.Norm / reference:0.#} times this round's median {reference:G4}, above the limit of {Options.NormOutlierFactor:G3}");
                    updates.Remove(u);
                }
        }
        var result = Rule(updates);
        NextServerState = new ModelWeights([Scalar(ReferenceNormTensor, Median(updates.Select(u => u.Norm).ToList()))]);
        return result;
    }

    /// <summary>
    /// Applies <paramref name="rule"/> to every coordinate: it receives that coordinate's values across the updates,
    /// sorted ascending, in a scratch array it must not keep.
    /// </summary>
    protected double[][] CoordinateWise(IReadOnlyList<Buffered> updates, Func<double[], double> rule)
    {
        var result = NewLikeGlobal();
        var column = new double[updates.Count];
        for (var t = 0; t < result.Length; t++)
            for (var i = 0; i < result[t].Length; i++)
            {
                for (var u = 0; u < column.Length; u++) column[u] = updates[u].Values[t][i];
                Array.Sort(column);
                result[t][i] = rule(column);
            }
        return result;
    }

    /// <summary>The aggregation rule over the screened updates, ordered by site id.</summary>
    protected abstract double[][] Rule(IReadOnlyList<Buffered> updates);
}
