using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedRad.Coordinator.Security;

/// <summary>What an admin token lets its holder do. Each role can do what the ones before it can.</summary>
public enum AdminRole { ReadOnly = 1, Statistician = 2, Operator = 3 }

/// <summary>The claims an admin token carries.</summary>
/// <param name="Subject">Who it was issued to (free text, shown in the coordinator's log).</param>
public sealed record AdminClaims(AdminRole Role, string Subject, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>A token that is refused: malformed, signed with another secret, tampered with, or expired.</summary>
public sealed class AdminTokenException(string message) : Exception(message);

/// <summary>
/// Admin bearer tokens: <c>fedrad1.PAYLOAD.SIGNATURE</c>, the payload a base64url JSON of role,
/// subject, issue and expiry times, the signature its HMAC-SHA256 under the consortium's admin
/// secret (a file of at least 32 random bytes, kept by the coordinator and by whoever issues
/// tokens). No token store: a token is valid until it expires, or until the secret is replaced.
/// </summary>
public sealed class AdminTokens
{
    private const string Prefix = "fedrad1";
    public const int MinimumSecretBytes = 32;

    private readonly byte[] _secret;

    public AdminTokens(byte[] secret)
    {
        if (secret.Length < MinimumSecretBytes) throw new ArgumentException($"the admin token secret has {secret.Length} bytes; it needs at least {MinimumSecretBytes} (make one with `fedrad token secret --out FILE`)");
        _secret = secret;
    }

    /// <summary>Reads a secret file (as `fedrad token secret` writes it: base64 text, or raw bytes).</summary>
    public static AdminTokens FromSecretFile(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"admin token secret file '{path}' not found");
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.ASCII.GetString(bytes).Trim();
        try { return new AdminTokens(Convert.FromBase64String(text)); }
        catch (FormatException) { return new AdminTokens(bytes); }
    }

    /// <summary>A new secret: 32 random bytes as base64 text.</summary>
    public static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinimumSecretBytes));

    public string Issue(AdminRole role, string subject, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        if (expiresAt <= issuedAt) throw new ArgumentException("a token must expire after it is issued");
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(RoleName(role), subject, issuedAt.ToUnixTimeSeconds(), expiresAt.ToUnixTimeSeconds()));
        var body = $"{Prefix}.{Base64Url(payload)}";
        return $"{body}.{Base64Url(Sign(body))}";
    }

    /// <summary>The token's claims, or <see cref="AdminTokenException"/> saying why it is refused.</summary>
    public AdminClaims Verify(string token, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] != Prefix) throw new AdminTokenException("malformed admin token (expected fedrad1.PAYLOAD.SIGNATURE from `fedrad token issue`)");
        byte[] signature, payloadBytes;
        try
        {
            signature = FromBase64Url(parts[2]);
            payloadBytes = FromBase64Url(parts[1]);
        }
        catch (FormatException) { throw new AdminTokenException("malformed admin token (not base64url)"); }
        if (!CryptographicOperations.FixedTimeEquals(signature, Sign($"{parts[0]}.{parts[1]}")))
            throw new AdminTokenException("admin token signature is not valid: the token was altered, or issued with another secret than this coordinator's");
        Payload payload;
        try { payload = JsonSerializer.Deserialize<Payload>(payloadBytes) ?? throw new JsonException("null"); }
        catch (JsonException) { throw new AdminTokenException("malformed admin token payload"); }
        var role = ParseRole(payload.Role) ?? throw new AdminTokenException($"admin token has an unknown role '{payload.Role}'");
        var expires = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        if (now >= expires) throw new AdminTokenException($"admin token expired at {expires:yyyy-MM-dd HH:mm:ss}Z: ask an operator for a new one (fedrad token issue)");
        return new AdminClaims(role, payload.Subject, DateTimeOffset.FromUnixTimeSeconds(payload.IssuedAt), expires);
    }

    public static string RoleName(AdminRole role) => role switch
    {
        AdminRole.Operator => "operator",
        AdminRole.Statistician => "statistician",
        _ => "read-only",
    };

    public static AdminRole? ParseRole(string name) => name switch
    {
        "operator" => AdminRole.Operator,
        "statistician" => AdminRole.Statistician,
        "read-only" => AdminRole.ReadOnly,
        _ => null,
    };

    private byte[] Sign(string body) => HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(body));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string s)
    {
        var b = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b.PadRight(b.Length + (4 - b.Length % 4) % 4, '='));
    }

    private sealed record Payload(
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("sub")] string Subject,
        [property: JsonPropertyName("iat")] long IssuedAt,
        [property: JsonPropertyName("exp")] long ExpiresAt);
}
