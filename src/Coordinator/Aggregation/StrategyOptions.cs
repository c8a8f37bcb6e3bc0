namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Everything a strategy can be tuned with. Each strategy reads the options it uses and ignores the rest; the
/// parameter names (<see cref="FromParameters"/>) are the ones a study definition carries.
/// </summary>
public sealed record StrategyOptions
{
    public static readonly StrategyOptions Default = new();

    /// <summary><c>fraction_fit</c>: share of the enrolled sites sampled to train each round (1 = all, in enrolment order).</summary>
    public double FractionFit { get; init; } = 1.0;
    /// <summary><c>min_fit_sites</c>: sample at least this many sites (all when fewer are enrolled).</summary>
    public int MinFitSites { get; init; } = 1;
    /// <summary><c>sampling_seed</c>: with the round number, fixes which sites are sampled.</summary>
    public ulong SamplingSeed { get; init; } = 1;

    /// <summary><c>proximal_mu</c>: FedProx's μ, sent to the sites, which add μ/2 ‖w − w_global‖² to their local loss.</summary>
    public double ProximalMu { get; init; } = 0.01;

    /// <summary><c>server_learning_rate</c>: η of FedAdam/FedYogi/FedAdagrad.</summary>
    public double ServerLearningRate { get; init; } = 0.01;
    /// <summary><c>beta1</c>: decay of the server first moment.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary><c>beta2</c>: decay of the server second moment (FedAdam, FedYogi).</summary>
    public double Beta2 { get; init; } = 0.99;
    /// <summary><c>tau</c>: adaptivity τ; the second moment starts at τ².</summary>
    public double Tau { get; init; } = 1e-3;

    /// <summary><c>trim_fraction</c>: β of the trimmed mean; ⌊β n⌋ values are dropped at each end of every coordinate.</summary>
    public double TrimFraction { get; init; } = 0.1;
    /// <summary><c>krum_f</c>: number of Byzantine sites Krum tolerates (needs n ≥ 2f + 3).</summary>
    public int KrumByzantine { get; init; } = 1;
    /// <summary><c>krum_m</c>: Multi-Krum averages the m best-scored updates (1 = Krum).</summary>
    public int KrumSelect { get; init; } = 1;

    /// <summary>
    /// <c>norm_outlier_factor</c>: an update whose distance to the global model exceeds this multiple of the reference
    /// norm (the median of the previous round's accepted updates for streaming strategies, of this round's for
    /// buffering ones) is rejected. 0 turns the check off.
    /// </summary>
    public double NormOutlierFactor { get; init; } = 10;

    private static readonly string[] ParameterNames =
    [
        "fraction_fit", "min_fit_sites", "sampling_seed", "proximal_mu", "server_learning_rate", "beta1", "beta2", "tau",
        "trim_fraction", "krum_f", "krum_m", "norm_outlier_factor",
    ];

    /// <summary>Options from name → value pairs (a study's strategy parameters); unknown or invalid ones throw, naming them.</summary>
    public static StrategyOptions FromParameters(IReadOnlyDictionary<string, double> parameters)
    {
        var unknown = parameters.Keys.Where(k => !ParameterNames.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown strategy parameter(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} (known: {string.Join(", ", ParameterNames)})");
        double Get(string name, double fallback) => parameters.TryGetValue(name, out var v) ? v : fallback;
        int GetInt(string name, int fallback)
        {
            if (!parameters.TryGetValue(name, out var v)) return fallback;
            if (v != Math.Floor(v) || v is < int.MinValue or > int.MaxValue) throw new ArgumentException($"strategy parameter '{name}' must be an integer, got {v}");
            return (int)v;
        }
        var seed = Get("sampling_seed", Default.SamplingSeed);
        if (seed < 0 || seed != Math.Floor(seed) || seed > 9.007199254740992e15) throw new ArgumentException($"strategy parameter 'sampling_seed' must be a non-negative integer below 2^53, got {seed}");
        var options = new StrategyOptions
        {
            FractionFit = Get("fraction_fit", Default.FractionFit),
            MinFitSites = GetInt("min_fit_sites", Default.MinFitSites),
            SamplingSeed = (ulong)seed,
            ProximalMu = Get("proximal_mu", Default.ProximalMu),
            ServerLearningRate = Get("server_learning_rate", Default.ServerLearningRate),
            Beta1 = Get("beta1", Default.Beta1),
            Beta2 = Get("beta2", Default.Beta2),
            Tau = Get("tau", Default.Tau),
            TrimFraction = Get("trim_fraction", Default.TrimFraction),
            KrumByzantine = GetInt("krum_f", Default.KrumByzantine),
            KrumSelect = GetInt("krum_m", Default.KrumSelect),
            NormOutlierFactor = Get("norm_outlier_factor", Default.NormOutlierFactor),
        };
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException("invalid strategy parameters: " + string.Join("; ", problems));
        return options;
    }

    /// <summary>Every out-of-range option, each message naming its parameter.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (!(FractionFit > 0 && FractionFit <= 1)) p.Add($"fraction_fit must be in (0, 1], got {FractionFit}");
        if (MinFitSites < 1) p.Add($"min_fit_sites must be at least 1, got {MinFitSites}");
        if (!(ProximalMu >= 0 && double.IsFinite(ProximalMu))) p.Add($"proximal_mu must be a finite value >= 0, got {ProximalMu}");
        if (!(ServerLearningRate > 0 && double.IsFinite(ServerLearningRate))) p.Add($"server_learning_rate must be a finite value > 0, got {ServerLearningRate}");
        if (!(Beta1 >= 0 && Beta1 < 1)) p.Add($"beta1 must be in [0, 1), got {Beta1}");
        if (!(Beta2 >= 0 && Beta2 < 1)) p.Add($"beta2 must be in [0, 1), got {Beta2}");
        if (!(Tau > 0 && double.IsFinite(Tau))) p.Add($"tau must be a finite value > 0, got {Tau}");
        if (!(TrimFraction >= 0 && TrimFraction < 0.5)) p.Add($"trim_fraction must be in [0, 0.5), got {TrimFraction}");
        if (KrumByzantine < 0) p.Add($"krum_f must be >= 0, got {KrumByzantine}");
        if (KrumSelect < 1) p.Add($"krum_m must be at least 1, got {KrumSelect}");
        if (!(NormOutlierFactor == 0 || (NormOutlierFactor > 1 && double.IsFinite(NormOutlierFactor)))) p.Add($"norm_outlier_factor must be 0 (off) or a finite value > 1, got {NormOutlierFactor}");
        return p;
    }
}
