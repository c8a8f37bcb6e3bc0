using System.Security.Cryptography;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// One site's side of a secure-aggregation session. Call the four phases in order, each with the
/// coordinator's previous answer; every call checks what the coordinator sent and refuses
/// (<see cref="SecAggException"/>) anything inconsistent. The secrets live in this object only:
/// a site that restarts mid-session has dropped out, which the protocol tolerates.
/// </summary>
public sealed class SecAggSite : IDisposable
{
    private enum Step { Created, Advertised, Shared, Masked, Answered }

    private readonly SecAggConfig config;
    private readonly string siteId;
    private readonly RandomSource random;
    private readonly SecAggAuthentication? authentication;
    private readonly ECDiffieHellman cipherKey;
    private readonly ECDiffieHellman maskKey;
    private Step step = Step.Created;
    private Dictionary<string, AdvertiseKeys> directory = [];
    private byte[] seed = [];
    private readonly Dictionary<string, (byte[] Seed, byte[] Key)> held = new(StringComparer.Ordinal);
    private List<string> holders = [];

    /// <param name="authentication">When given, this site signs its keys and accepts only a key directory whose every entry is signed by the site it names.</param>
    public SecAggSite(SecAggConfig config, string siteId, RandomSource? random = null, SecAggAuthentication? authentication = null)
    {
        config.Validate();
        this.config = config;
        this.siteId = siteId;
        config.ShareIndex(siteId); // throws for a site that is not a participant
        this.random = random ?? RandomSource.Secure;
        this.authentication = authentication;
        cipherKey = SecAggCrypto.NewKey(this.random);
        maskKey = SecAggCrypto.NewKey(this.random);
    }

    /// <summary>Phase 1: the public keys to send to the coordinator.</summary>
    public AdvertiseKeys AdvertiseKeys()
    {
        Expect(Step.Created, "advertise keys");
        var keys = new AdvertiseKeys(config.SessionId, siteId, SecAggCrypto.PublicPoint(cipherKey), SecAggCrypto.PublicPoint(maskKey));
        if (authentication is not null) keys = authentication.Sign(keys);
        step = Step.Advertised;
        return keys;
    }

    /// <summary>Phase 2: from the coordinator's key directory (U1), this site's encrypted shares for every other site in it.</summary>
    public ShareKeys ShareKeys(KeyDirectory keys)
    {
        Expect(Step.Advertised, "share keys");
        Session(keys.SessionId, "key directory");
        var byId = new Dictionary<string, AdvertiseKeys>(StringComparer.Ordinal);
        foreach (var k in keys.Keys)
        {
            if (!config.IsParticipant(k.SiteId)) throw Invalid($"key directory lists '{k.SiteId}', which is not a participant");
            if (!byId.TryAdd(k.SiteId, k)) throw Invalid($"key directory lists '{k.SiteId}' twice");
            if (SecAggCrypto.ImportPoint(k.CipherPublicKey) is null || SecAggCrypto.ImportPoint(k.MaskPublicKey) is null)
                throw Invalid($"key directory: the public keys of '{k.SiteId}' are not P-256 points");
            if (authentication?.Check(k) is { } problem) throw new SecAggException(SecAggFailure.Inconsistent, $"key directory: {problem}");
        }
        if (!byId.TryGetValue(siteId, out var mine) || !mine.CipherPublicKey.AsSpan().SequenceEqual(SecAggCrypto.PublicPoint(cipherKey))
            || !mine.MaskPublicKey.AsSpan().SequenceEqual(SecAggCrypto.PublicPoint(maskKey)))
            throw Invalid($"key directory does not carry the keys '{siteId}' advertised");
        var distinct = byId.Values.SelectMany(k => new[] { Convert.ToHexString(k.CipherPublicKey), Convert.ToHexString(k.MaskPublicKey) }).Distinct().Count();
        if (distinct != 2 * byId.Count) throw Invalid("key directory repeats a public key");
        if (byId.Count < config.Threshold)
            throw new SecAggException(SecAggFailure.ThresholdNotMet, $"key directory has {byId.Count} sites, below the threshold of {config.Threshold}");
        directory = byId;

        seed = random.Bytes(SecAggCrypto.SeedBytes);
        var n = config.Participants.Count;
        var seedShares = Shamir.Split(seed, config.Threshold, n, random);
        var scalar = SecAggCrypto.PrivateScalar(maskKey);
        var keyShares = Shamir.Split(scalar, config.Threshold, n, random);
        CryptographicOperations.ZeroMemory(scalar);
        var me = config.ShareIndex(siteId) - 1;
        held[siteId] = (seedShares[me], keyShares[me]);

        var shares = new List<EncryptedShare>();
        foreach (var v in Ordered(directory.Keys))
        {
            if (v == siteId) continue;
            var x = config.ShareIndex(v) - 1;
            var key = SecAggCrypto.PairKey(cipherKey, SecAggCrypto.ImportPoint(directory[v].CipherPublicKey)!, "share", config.SessionId, siteId, v);
            var plaintext = new byte[SecAggCrypto.SharePlaintextBytes];
            seedShares[x].CopyTo(plaintext, 0);
            keyShares[x].CopyTo(plaintext, Shamir.ShareBytes);
            var nonce = random.Bytes(SecAggCrypto.NonceBytes);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[SecAggCrypto.TagBytes];
            using (var aes = new AesGcm(key, SecAggCrypto.TagBytes))
                aes.Encrypt(nonce, plaintext, ciphertext, tag, ShareAad(config.SessionId, siteId, v));
            CryptographicOperations.ZeroMemory(plaintext);
            CryptographicOperations.ZeroMemory(key);
            shares.Add(new EncryptedShare(siteId, v, nonce, ciphertext, tag));
        }
        step = Step.Shared;
        return new ShareKeys(config.SessionId, siteId, SecAggCrypto.SeedCommitment(seed, config.SessionId, siteId), shares);
    }

    /// <summary>Phase 3: the masked input, from this site's values and the shares the coordinator routed to it (with U2).</summary>
    public MaskedInput MaskInput(ReadOnlySpan<double> input, ShareInbox inbox)
    {
        Expect(Step.Shared, "mask its input");
        Session(inbox.SessionId, "share inbox");
        if (input.Length != config.VectorLength)
            throw Invalid($"input has {input.Length} values; the session aggregates vectors of {config.VectorLength}");
        var u2 = CheckSubset(inbox.Holders, directory.Keys, "share holders", "advertised keys");
        if (!u2.Contains(siteId)) throw Invalid($"share inbox: '{siteId}' is not among the share holders");
        if (u2.Count < config.Threshold)
            throw new SecAggException(SecAggFailure.ThresholdNotMet, $"only {u2.Count} sites shared keys, below the threshold of {config.Threshold}");

        var incoming = new Dictionary<string, EncryptedShare>(StringComparer.Ordinal);
        foreach (var s in inbox.Shares)
        {
            if (s.To != siteId) throw Invalid($"share inbox holds a share for '{s.To}', not for '{siteId}'");
            if (!u2.Contains(s.From)) throw Invalid($"share inbox holds a share from '{s.From}', which is not a share holder");
            if (!incoming.TryAdd(s.From, s)) throw Invalid($"share inbox holds two shares from '{s.From}'");
        }
        var decrypted = new Dictionary<string, (byte[] Seed, byte[] Key)>(StringComparer.Ordinal);
        foreach (var u in u2)
        {
            if (u == siteId) continue;
            if (!incoming.TryGetValue(u, out var s)) throw Invalid($"share inbox lacks the share from '{u}'");
            decrypted[u] = Decrypt(s);
        }

        var masked = config.Encoding.Encode(input);
        var selfKey = SecAggCrypto.SelfMaskKey(seed, config.SessionId, siteId);
        MaskGenerator.Apply(selfKey, masked, subtract: false);
        CryptographicOperations.ZeroMemory(selfKey);
        foreach (var v in u2)
        {
            if (v == siteId) continue;
            var pairSeed = SecAggCrypto.PairKey(maskKey, SecAggCrypto.ImportPoint(directory[v].MaskPublicKey)!, "mask", config.SessionId, siteId, v);
            // The lower id adds, the higher id subtracts: the pair's masks cancel in the sum.
            MaskGenerator.Apply(pairSeed, masked, subtract: string.CompareOrdinal(siteId, v) > 0);
            CryptographicOperations.ZeroMemory(pairSeed);
        }
        foreach (var (u, pair) in decrypted) held[u] = pair;
        holders = u2;
        step = Step.Masked;
        return new MaskedInput(config.SessionId, siteId, masked);
    }

    /// <summary>
    /// Phase 4: the shares the coordinator needs, answered once. For every survivor the share of its
    /// self-mask seed, for every site that dropped after sharing keys the share of its mask key; the
    /// request must split U2 exactly into the two, so no site is ever revealed both ways.
    /// </summary>
    public UnmaskingResponse Unmask(UnmaskingRequest request)
    {
        if (step == Step.Answered)
            throw new SecAggException(SecAggFailure.Conflict, $"'{siteId}' already answered the unmasking request of session '{config.SessionId}'; it answers once only");
        Expect(Step.Masked, "reveal shares");
        Session(request.SessionId, "unmasking request");
        var survivors = CheckSubset(request.Survivors, holders, "survivors", "share holders");
        var dropped = CheckSubset(request.Dropped, holders, "dropped sites", "share holders");
        if (survivors.Intersect(dropped).FirstOrDefault() is { } both)
            throw Invalid($"unmasking request lists '{both}' both as survivor and as dropped");
        if (survivors.Count + dropped.Count != holders.Count)
            throw Invalid($"unmasking request accounts for {survivors.Count + dropped.Count} of the {holders.Count} share holders; every holder must be a survivor or dropped");
        if (!survivors.Contains(siteId)) throw Invalid($"unmasking request does not list '{siteId}' among the survivors");
        if (survivors.Count < config.Threshold)
            throw new SecAggException(SecAggFailure.ThresholdNotMet, $"only {survivors.Count} sites sent masked inputs, below the threshold of {config.Threshold}");

        step = Step.Answered;
        return new UnmaskingResponse(config.SessionId, siteId,
            survivors.Select(u => new RevealedShare(u, held[u].Seed)).ToList(),
            dropped.Select(u => new RevealedShare(u, held[u].Key)).ToList());
    }

    public void Dispose()
    {
        cipherKey.Dispose();
        maskKey.Dispose();
        CryptographicOperations.ZeroMemory(seed);
    }

    private (byte[] Seed, byte[] Key) Decrypt(EncryptedShare s)
    {
        if (s.Nonce.Length != SecAggCrypto.NonceBytes || s.Tag.Length != SecAggCrypto.TagBytes || s.Ciphertext.Length != SecAggCrypto.SharePlaintextBytes)
            throw Invalid($"the share from '{s.From}' has the wrong length");
        var key = SecAggCrypto.PairKey(cipherKey, SecAggCrypto.ImportPoint(directory[s.From].CipherPublicKey)!, "share", config.SessionId, s.From, siteId);
        var plaintext = new byte[s.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key, SecAggCrypto.TagBytes);
            aes.Decrypt(s.Nonce, s.Ciphertext, s.Tag, plaintext, ShareAad(config.SessionId, s.From, siteId));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecAggException(SecAggFailure.Inconsistent, $"the share from '{s.From}' does not decrypt: it was altered or not encrypted for '{siteId}'");
        }
        finally { CryptographicOperations.ZeroMemory(key); }
        var pair = (plaintext[..Shamir.ShareBytes], plaintext[Shamir.ShareBytes..]);
        if (!Shamir.IsShareValue(pair.Item1) || !Shamir.IsShareValue(pair.Item2))
            throw new SecAggException(SecAggFailure.Inconsistent, $"the share from '{s.From}' is not a field element");
        return pair;
    }

    internal static byte[] ShareAad(string session, string from, string to) => SecAggCrypto.Label("share", session, from, to);

    private List<string> CheckSubset(IReadOnlyList<string> list, IEnumerable<string> of, string what, string ofWhat)
    {
        var set = new HashSet<string>(of, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in list)
        {
            if (!set.Contains(s)) throw Invalid($"'{s}' is listed among the {what} but not among the {ofWhat}");
            if (!seen.Add(s)) throw Invalid($"'{s}' is listed twice among the {what}");
        }
        return Ordered(list).ToList();
    }

    private IEnumerable<string> Ordered(IEnumerable<string> sites) => sites.OrderBy(config.ShareIndex);

    private void Expect(Step expected, string action)
    {
        if (step != expected)
            throw new SecAggException(SecAggFailure.WrongPhase, $"'{siteId}' cannot {action} now: session '{config.SessionId}' is at step {step}");
    }

    private void Session(string session, string what)
    {
        if (session != config.SessionId) throw Invalid($"{what} is for session '{session}', not '{config.SessionId}'");
    }

    private static SecAggException Invalid(string message) => new(SecAggFailure.InvalidMessage, message);
}
