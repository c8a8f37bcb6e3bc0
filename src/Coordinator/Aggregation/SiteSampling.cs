namespace FedRad.Coordinator.Aggregation;

/// <summary>
/// Client sampling: each round trains max(min_fit_sites, ⌈fraction_fit · n⌉) of the n enrolled sites (all of them when
/// fewer are enrolled), drawn without replacement by a generator seeded with (sampling_seed, round). The draw works on
/// the ordinally sorted site ids, so the same seed, round and enrolment give the same sites whatever the enrolment order.
/// </summary>
public static class SiteSampling
{
    public static IReadOnlyList<string> Select(IReadOnlyList<string> enrolled, int round, StrategyOptions options)
    {
        if (options.FractionFit >= 1) return enrolled;
        var count = Math.Min(enrolled.Count, Math.Max(options.MinFitSites, (int)Math.Ceiling(options.FractionFit * enrolled.Count)));
        if (count == enrolled.Count) return enrolled;
        var pool = enrolled.Order(StringComparer.Ordinal).ToArray();
        var random = new SplitMix64(options.SamplingSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(uint)round));
        // Partial Fisher–Yates: the first `count` slots end up a uniform sample without replacement.
        for (var i = 0; i < count; i++)
        {
            var j = i + (int)random.NextBelow((ulong)(pool.Length - i));
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(count).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): a small generator whose output is fixed by its definition, not by a runtime version.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, bound) by rejection, without modulo bias.</summary>
        public ulong NextBelow(ulong bound)
        {
            var limit = ulong.MaxValue - ulong.MaxValue % bound;
            ulong x;
            do x = Next(); while (x >= limit);
            return x % bound;
        }
    }
}
