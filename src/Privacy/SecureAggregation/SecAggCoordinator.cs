using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedRad.Privacy.Pki;

namespace FedRad.Privacy.SecureAggregation;

public enum SecAggPhase { AdvertisingKeys, SharingKeys, CollectingInputs, Unmasking, Finished }

/// <summary>
/// Everything the coordinator holds about one session; plain data so that a grain can persist it
/// (<see cref="SecAggCoordinator.ToJson"/>). It never holds a site's input: masked inputs are folded
/// into <see cref="Sum"/> as they arrive (one vector of memory whatever the number of sites).
/// </summary>
public sealed class SecAggCoordinatorState
{
    public required SecAggConfig Config { get; init; }
    public SecAggPhase Phase { get; set; } = SecAggPhase.AdvertisingKeys;
    public Dictionary<string, AdvertiseKeys> Keys { get; init; } = new(StringComparer.Ordinal);
    public Dictionary<string, ShareKeys> Shares { get; init; } = new(StringComparer.Ordinal);
    /// <summary>U2: the sites whose shares were routed (set when sharing closes).</summary>
    public List<string> Holders { get; set; } = [];
    /// <summary>SHA-256 of each received masked input (U3), to recognise a retried upload.</summary>
    public Dictionary<string, string> InputDigests { get; init; } = new(StringComparer.Ordinal);
    public ulong[] Sum { get; set; } = [];
    public UnmaskingRequest? Request { get; set; }
    public Dictionary<string, UnmaskingResponse> Responses { get; init; } = new(StringComparer.Ordinal);
    public SecAggResult? Result { get; set; }
}

/// <summary>
/// The coordinator's side of a secure-aggregation session: collects each phase's messages, closes
/// the phase (when all expected sites answered or at the round's deadline) and produces the next
/// broadcast; <see cref="Finish"/> removes the masks and returns the survivors' sum. The
/// coordinator learns the sum, who took part and who dropped, nothing about a single site's input.
/// Every refusal is a <see cref="SecAggException"/> and leaves the state as it was.
/// </summary>
public sealed class SecAggCoordinator
{
    private readonly SecAggCoordinatorState state;
    private readonly Func<X509Certificate2, CertificateCheck>? validateSigner;

    /// <param name="validateSigner">When given, every key advertisement must be signed with a certificate this accepts for the site it names (the coordinator's <see cref="SiteCertificateValidator.Validate"/>).</param>
    public SecAggCoordinator(SecAggConfig config, Func<X509Certificate2, CertificateCheck>? validateSigner = null)
    {
        config.Validate();
        state = new SecAggCoordinatorState { Config = config, Sum = new ulong[config.VectorLength] };
        this.validateSigner = validateSigner;
    }

    private SecAggCoordinator(SecAggCoordinatorState state, Func<X509Certificate2, CertificateCheck>? validateSigner)
    {
        this.state = state;
        this.validateSigner = validateSigner;
    }

    private SecAggConfig Config => state.Config;

    public SecAggPhase Phase => state.Phase;

    /// <summary>Sites the current phase still waits for.</summary>
    public IReadOnlyList<string> Pending => state.Phase switch
    {
        SecAggPhase.AdvertisingKeys => Config.Participants.Where(p => !state.Keys.ContainsKey(p)).ToList(),
        SecAggPhase.SharingKeys => Ordered(state.Keys.Keys).Where(p => !state.Shares.ContainsKey(p)).ToList(),
        SecAggPhase.CollectingInputs => state.Holders.Where(p => !state.InputDigests.ContainsKey(p)).ToList(),
        SecAggPhase.Unmasking => state.Request!.Survivors.Where(p => !state.Responses.ContainsKey(p)).ToList(),
        _ => [],
    };

    public void Receive(AdvertiseKeys m)
    {
        Expect(SecAggPhase.AdvertisingKeys, "key advertisement", m.SiteId);
        Session(m.SessionId, m.SiteId);
        if (!Config.IsParticipant(m.SiteId)) throw NotParticipant(m.SiteId, "participant of the session");
        if (SecAggCrypto.ImportPoint(m.CipherPublicKey) is null || SecAggCrypto.ImportPoint(m.MaskPublicKey) is null)
            throw Invalid($"the public keys of '{m.SiteId}' are not uncompressed P-256 points");
        if (m.CipherPublicKey.AsSpan().SequenceEqual(m.MaskPublicKey))
            throw Invalid($"'{m.SiteId}' advertised the same key twice");
        if (validateSigner is not null && SecAggAuthentication.Check(m, validateSigner) is { } problem)
            throw new SecAggException(SecAggFailure.NotParticipant, problem);
        if (state.Keys.TryGetValue(m.SiteId, out var earlier))
        {
            if (Same(earlier, m)) return; // a retry
            throw Conflict(m.SiteId, "different keys");
        }
        foreach (var k in state.Keys.Values)
            if (SharesKey(k, m)) throw Invalid($"a public key of '{m.SiteId}' equals one of '{k.SiteId}'");
        state.Keys[m.SiteId] = m;
    }

    /// <summary>Closes phase 1: the key directory to send to every site in it (U1).</summary>
    public KeyDirectory CloseAdvertising()
    {
        Expect(SecAggPhase.AdvertisingKeys, "closing the key advertisement", null);
        Threshold(state.Keys.Count, "advertised keys");
        state.Phase = SecAggPhase.SharingKeys;
        return new KeyDirectory(Config.SessionId, Ordered(state.Keys.Keys).Select(s => state.Keys[s]).ToList());
    }

    public void Receive(ShareKeys m)
    {
        Expect(SecAggPhase.SharingKeys, "key shares", m.SiteId);
        Session(m.SessionId, m.SiteId);
        if (!state.Keys.ContainsKey(m.SiteId)) throw NotParticipant(m.SiteId, "site that advertised keys");
        if (m.SeedCommitment.Length != 32) throw Invalid($"the seed commitment of '{m.SiteId}' is not 32 bytes");
        var expected = state.Keys.Keys.Where(k => k != m.SiteId).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in m.Shares)
        {
            if (s.From != m.SiteId) throw Invalid($"'{m.SiteId}' sent a share marked as from '{s.From}'");
            if (!expected.Contains(s.To)) throw Invalid($"'{m.SiteId}' sent a share for '{s.To}', which did not advertise keys");
            if (!seen.Add(s.To)) throw Invalid($"'{m.SiteId}' sent two shares for '{s.To}'");
            if (s.Nonce.Length != SecAggCrypto.NonceBytes || s.Tag.Length != SecAggCrypto.TagBytes || s.Ciphertext.Length != SecAggCrypto.SharePlaintextBytes)
                throw Invalid($"the share from '{m.SiteId}' for '{s.To}' has the wrong length");
        }
        if (expected.Except(seen).FirstOrDefault() is { } missing) throw Invalid($"'{m.SiteId}' sent no share for '{missing}'");
        if (state.Shares.TryGetValue(m.SiteId, out var earlier))
        {
            if (Same(earlier, m)) return;
            throw Conflict(m.SiteId, "different shares");
        }
        state.Shares[m.SiteId] = m;
    }

    /// <summary>Closes phase 2: for every site that shared keys (U2), the set U2 and the shares addressed to it.</summary>
    public IReadOnlyDictionary<string, ShareInbox> CloseSharing()
    {
        Expect(SecAggPhase.SharingKeys, "closing the key sharing", null);
        Threshold(state.Shares.Count, "shared keys");
        var holders = Ordered(state.Shares.Keys).ToList();
        var inboxes = new Dictionary<string, ShareInbox>(StringComparer.Ordinal);
        foreach (var v in holders)
            inboxes[v] = new ShareInbox(Config.SessionId, holders,
                holders.Where(u => u != v).Select(u => state.Shares[u].Shares.Single(s => s.To == v)).ToList());
        state.Holders = holders;
        state.Phase = SecAggPhase.CollectingInputs;
        return inboxes;
    }

    public void Receive(MaskedInput m)
    {
        Expect(SecAggPhase.CollectingInputs, "masked input", m.SiteId);
        Session(m.SessionId, m.SiteId);
        if (!state.Holders.Contains(m.SiteId)) throw NotParticipant(m.SiteId, "site that shared keys");
        if (m.Masked.Length != Config.VectorLength)
            throw Invalid($"the masked input of '{m.SiteId}' has {m.Masked.Length} elements; the session aggregates {Config.VectorLength}");
        var digest = Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(m.Masked.AsSpan())));
        if (state.InputDigests.TryGetValue(m.SiteId, out var earlier))
        {
            if (earlier == digest) return;
            throw Conflict(m.SiteId, "a different masked input");
        }
        var sum = state.Sum;
        for (var i = 0; i < sum.Length; i++) sum[i] = unchecked(sum[i] + m.Masked[i]);
        state.InputDigests[m.SiteId] = digest;
    }

    /// <summary>Closes phase 3: the request to send to every survivor (U3); sites of U2 without an input are dropped.</summary>
    public UnmaskingRequest CloseMasking()
    {
        Expect(SecAggPhase.CollectingInputs, "closing the input collection", null);
        Threshold(state.InputDigests.Count, "sent masked inputs");
        var survivors = state.Holders.Where(state.InputDigests.ContainsKey).ToList();
        var dropped = state.Holders.Where(s => !state.InputDigests.ContainsKey(s)).ToList();
        state.Request = new UnmaskingRequest(Config.SessionId, survivors, dropped);
        state.Phase = SecAggPhase.Unmasking;
        return state.Request;
    }

    public void Receive(UnmaskingResponse m)
    {
        Expect(SecAggPhase.Unmasking, "unmasking response", m.SiteId);
        Session(m.SessionId, m.SiteId);
        var request = state.Request!;
        if (!request.Survivors.Contains(m.SiteId)) throw NotParticipant(m.SiteId, "survivor asked for shares");
        CheckRevealed(m.SiteId, m.SeedShares, request.Survivors, "self-mask seed");
        CheckRevealed(m.SiteId, m.KeyShares, request.Dropped, "mask key");
        if (state.Responses.TryGetValue(m.SiteId, out var earlier))
        {
            if (Same(earlier, m)) return;
            throw Conflict(m.SiteId, "different shares");
        }
        state.Responses[m.SiteId] = m;
    }

    /// <summary>
    /// Removes the masks once at least t survivors answered: rebuilds each survivor's self-mask seed
    /// (checked against its commitment) and each dropped site's mask key (checked against its
    /// advertised public key), subtracts what they added, and decodes the sum.
    /// </summary>
    public SecAggResult Finish()
    {
        Expect(SecAggPhase.Unmasking, "finishing", null);
        var request = state.Request!;
        if (state.Responses.Count < Config.Threshold)
            throw new SecAggException(SecAggFailure.ThresholdNotMet,
                $"session '{Config.SessionId}': {state.Responses.Count} of {request.Survivors.Count} survivors sent their shares; {Config.Threshold} are needed to unmask the sum");
        var responders = Ordered(state.Responses.Keys).Take(Config.Threshold).ToList();
        var sum = (ulong[])state.Sum.Clone();

        foreach (var u in request.Survivors)
        {
            var seed = Reconstruct(u, responders, r => r.SeedShares, SecAggCrypto.SeedBytes);
            if (seed is null || !SecAggCrypto.SeedCommitment(seed, Config.SessionId, u).AsSpan().SequenceEqual(state.Shares[u].SeedCommitment))
                throw Inconsistent($"the self-mask seed of '{u}' rebuilt from the shares of {string.Join(", ", responders)} does not match its commitment: one of these sites or '{u}' sent a wrong share");
            var key = SecAggCrypto.SelfMaskKey(seed, Config.SessionId, u);
            MaskGenerator.Apply(key, sum, subtract: true);
        }
        foreach (var u in request.Dropped)
        {
            var scalar = Reconstruct(u, responders, r => r.KeyShares, SecAggCrypto.ScalarBytes);
            using var key = scalar is null ? null : SecAggCrypto.FromPrivateScalar(scalar);
            if (key is null || !SecAggCrypto.PublicPoint(key).AsSpan().SequenceEqual(state.Keys[u].MaskPublicKey))
                throw Inconsistent($"the mask key of dropped site '{u}' rebuilt from the shares of {string.Join(", ", responders)} does not match its advertised public key: one of these sites or '{u}' sent a wrong share");
            foreach (var v in request.Survivors)
            {
                var pairSeed = SecAggCrypto.PairKey(key, SecAggCrypto.ImportPoint(state.Keys[v].MaskPublicKey)!, "mask", Config.SessionId, u, v);
                // v added the pair's mask if its id is the lower one, subtracted it otherwise; undo that.
                MaskGenerator.Apply(pairSeed, sum, subtract: string.CompareOrdinal(v, u) < 0);
            }
        }
        state.Result = new SecAggResult(Config.Encoding.Decode(sum), request.Survivors, request.Dropped);
        state.Phase = SecAggPhase.Finished;
        return state.Result;
    }

    /// <summary>The state as JSON, for a grain to persist between phases.</summary>
    public string ToJson() => SecAggJson.Serialize(state);

    public static SecAggCoordinator FromJson(string json, Func<X509Certificate2, CertificateCheck>? validateSigner = null)
    {
        var restored = SecAggJson.Deserialize<SecAggCoordinatorState>(json);
        restored.Config.Validate();
        return new SecAggCoordinator(restored, validateSigner);
    }

    private byte[]? Reconstruct(string owner, List<string> responders, Func<UnmaskingResponse, IReadOnlyList<RevealedShare>> pick, int length) =>
        Shamir.Combine(responders.Select(r => (Config.ShareIndex(r), pick(state.Responses[r]).Single(s => s.Owner == owner).Y)).ToList(), length);

    private void CheckRevealed(string site, IReadOnlyList<RevealedShare> shares, IReadOnlyList<string> owners, string what)
    {
        if (shares.Count != owners.Count || !shares.Select(s => s.Owner).ToHashSet(StringComparer.Ordinal).SetEquals(owners))
            throw Invalid($"'{site}' must reveal {what} shares of exactly [{string.Join(", ", owners)}]");
        if (shares.FirstOrDefault(s => !Shamir.IsShareValue(s.Y)) is { } bad)
            throw Invalid($"'{site}' revealed a {what} share of '{bad.Owner}' that is not a field element");
    }

    private IEnumerable<string> Ordered(IEnumerable<string> sites) => sites.OrderBy(Config.ShareIndex);

    private static bool SharesKey(AdvertiseKeys a, AdvertiseKeys b) =>
        new[] { a.CipherPublicKey, a.MaskPublicKey }.Any(x => x.AsSpan().SequenceEqual(b.CipherPublicKey) || x.AsSpan().SequenceEqual(b.MaskPublicKey));

    private static bool Same<T>(T a, T b) => SecAggJson.Serialize(a) == SecAggJson.Serialize(b);

    private void Expect(SecAggPhase phase, string what, string? site)
    {
        if (state.Phase != phase)
            throw new SecAggException(SecAggFailure.WrongPhase,
                $"session '{Config.SessionId}' is in phase {state.Phase}: {what}{(site is null ? "" : $" from '{site}'")} belongs to phase {phase}");
    }

    private void Session(string session, string site)
    {
        if (session != Config.SessionId) throw Invalid($"'{site}' sent a message for session '{session}', not '{Config.SessionId}'");
    }

    private void Threshold(int count, string what)
    {
        if (count < Config.Threshold)
            throw new SecAggException(SecAggFailure.ThresholdNotMet,
                $"session '{Config.SessionId}': only {count} of {Config.Participants.Count} sites {what}; the threshold is {Config.Threshold}, so the sum cannot be computed securely");
    }

    private SecAggException NotParticipant(string site, string what) =>
        new(SecAggFailure.NotParticipant, $"'{site}' is not a {what} in session '{Config.SessionId}'");

    private SecAggException Conflict(string site, string what) =>
        new(SecAggFailure.Conflict, $"'{site}' already sent its message for this phase of session '{Config.SessionId}' and now sent {what}");

    private static SecAggException Invalid(string message) => new(SecAggFailure.InvalidMessage, message);

    private static SecAggException Inconsistent(string message) => new(SecAggFailure.Inconsistent, message);
}
