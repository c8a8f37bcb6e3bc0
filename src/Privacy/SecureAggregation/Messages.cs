namespace FedRad.Privacy.SecureAggregation;

// The messages of one secure-aggregation session, in protocol order. Each is a plain record that
// serializes with SecAggJson (byte arrays as base64); the masked vector travels as raw uint64.
// "U1 ⊇ U2 ⊇ U3" are the sets of Bonawitz et al. 2017: sites that advertised keys, that shared
// them, and that sent a masked input.

/// <summary>
/// Phase 1, site → coordinator: the site's two public keys for this session (uncompressed P-256
/// points); with <see cref="SecAggAuthentication"/>, signed with the site's certificate key
/// (<paramref name="Certificate"/> DER, <paramref name="Signature"/> ECDSA-SHA256) so that other
/// sites know the keys are the site's own and not the coordinator's.
/// </summary>
public sealed record AdvertiseKeys(string SessionId, string SiteId, byte[] CipherPublicKey, byte[] MaskPublicKey, byte[]? Certificate = null, byte[]? Signature = null);

/// <summary>Phase 1 → 2, coordinator → every site in U1: all advertised keys.</summary>
public sealed record KeyDirectory(string SessionId, IReadOnlyList<AdvertiseKeys> Keys);

/// <summary>A share pair (of the sender's self-mask seed and of its mask private key) encrypted for one recipient with AES-256-GCM.</summary>
public sealed record EncryptedShare(string From, string To, byte[] Nonce, byte[] Ciphertext, byte[] Tag);

/// <summary>Phase 2, site → coordinator: its shares for every other site of U1, and a commitment to its self-mask seed.</summary>
public sealed record ShareKeys(string SessionId, string SiteId, byte[] SeedCommitment, IReadOnlyList<EncryptedShare> Shares);

/// <summary>Phase 2 → 3, coordinator → each site of U2: the set U2 and the shares addressed to that site.</summary>
public sealed record ShareInbox(string SessionId, IReadOnlyList<string> Holders, IReadOnlyList<EncryptedShare> Shares);

/// <summary>Phase 3, site → coordinator: the site's fixed-point input plus its self mask and pairwise masks, modulo 2^64.</summary>
public sealed record MaskedInput(string SessionId, string SiteId, ulong[] Masked);

/// <summary>Phase 3 → 4, coordinator → each site of U3: who sent a masked input (U3) and who dropped after sharing keys (U2 \ U3).</summary>
public sealed record UnmaskingRequest(string SessionId, IReadOnlyList<string> Survivors, IReadOnlyList<string> Dropped);

/// <summary>The share the responding site holds of one other site's secret (its x is the responder's share index).</summary>
public sealed record RevealedShare(string Owner, byte[] Y);

/// <summary>Phase 4, site → coordinator: seed shares of the survivors, mask-key shares of the dropped sites; never both for one site.</summary>
public sealed record UnmaskingResponse(string SessionId, string SiteId, IReadOnlyList<RevealedShare> SeedShares, IReadOnlyList<RevealedShare> KeyShares);

/// <summary>The outcome: the decoded sum of the survivors' inputs, who contributed and who dropped after sharing keys.</summary>
public sealed record SecAggResult(double[] Sum, IReadOnlyList<string> Contributors, IReadOnlyList<string> Dropped);
