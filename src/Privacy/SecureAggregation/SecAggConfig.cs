using System.Text.RegularExpressions;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// One secure-aggregation session (one round of one study), the same at the coordinator and at
/// every site. <paramref name="Participants"/> are the sites selected for the round; their
/// position in the list (from 1) is their Shamir evaluation point.
/// <paramref name="Threshold"/> t: how many sites must survive every phase. t must exceed half
/// the participants: each honest site answers one unmasking request only, so a coordinator that
/// claims a site dropped to some and survived to others cannot collect t shares of both its
/// secrets (that would need 2t &gt; n sites).
/// <paramref name="FractionBits"/> f: values are encoded as round(x·2^f) in the ring of 64-bit
/// integers (see <see cref="FixedPointEncoding"/>).
/// </summary>
public sealed partial record SecAggConfig(string SessionId, IReadOnlyList<string> Participants, int Threshold, int VectorLength, int FractionBits = 24)
{
    public FixedPointEncoding Encoding => new(FractionBits, Participants.Count);

    /// <summary>Evaluation point of a participant's Shamir shares: its position in <see cref="Participants"/>, from 1.</summary>
    public int ShareIndex(string siteId)
    {
        for (var i = 0; i < Participants.Count; i++)
            if (Participants[i] == siteId) return i + 1;
        throw new SecAggException(SecAggFailure.NotParticipant, $"'{siteId}' is not a participant of session '{SessionId}'");
    }

    public bool IsParticipant(string siteId) => Participants.Contains(siteId);

    /// <summary>Throws <see cref="SecAggException"/> naming the first field that is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SessionId) || SessionId.Length > 256)
            throw Invalid("session id must be 1-256 characters");
        if (Participants.Count < 2)
            throw Invalid($"session '{SessionId}' has {Participants.Count} participant(s); secure aggregation needs at least 2");
        if (Participants.Count > 1000)
            throw Invalid($"session '{SessionId}' has {Participants.Count} participants; at most 1000 are supported");
        foreach (var p in Participants)
            if (!SiteIdPattern().IsMatch(p)) throw Invalid($"participant '{p}' is not a valid site id (1-64 letters, digits, '.', '_' or '-')");
        if (Participants.Distinct(StringComparer.Ordinal).Count() != Participants.Count)
            throw Invalid($"session '{SessionId}' lists a participant twice");
        if (Threshold > Participants.Count || 2 * Threshold <= Participants.Count || Threshold < 2)
            throw Invalid($"threshold {Threshold} must be at least 2, more than half of the {Participants.Count} participants and at most {Participants.Count}");
        if (VectorLength < 1) throw Invalid($"vector length {VectorLength} must be positive");
        if (FractionBits is < 0 or > 52) throw Invalid($"fraction bits {FractionBits} must be between 0 and 52");
    }

    /// <summary>The smallest valid threshold for n participants: ⌊n/2⌋ + 1 (at least 2).</summary>
    public static int MajorityThreshold(int participants) => Math.Max(2, participants / 2 + 1);

    private static SecAggException Invalid(string message) => new(SecAggFailure.InvalidConfig, message);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SiteIdPattern();
}
