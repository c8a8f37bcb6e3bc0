using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedRad.Privacy.SecureAggregation;

/// <summary>
/// JSON form of the session messages and the coordinator state: snake_case, byte arrays as base64,
/// unknown or missing fields refused (a malformed message names its path).
/// </summary>
public static class SecAggJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize<T>(T message) => JsonSerializer.Serialize(message, Options);

    /// <summary>Parses a message; a malformed one gives <see cref="SecAggException"/> (InvalidMessage) with the JSON path.</summary>
    public static T Deserialize<T>(string json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                   ?? throw new SecAggException(SecAggFailure.InvalidMessage, $"{typeof(T).Name}: empty message");
        }
        catch (JsonException e)
        {
            throw new SecAggException(SecAggFailure.InvalidMessage, $"{typeof(T).Name}: {e.Message}");
        }
    }
}
