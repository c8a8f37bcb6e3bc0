using System.Net;
using FedRad.Coordinator.Services;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FedRad.Coordinator.Security;

/// <summary>Whether a caller may make an admin call, and if not, how to refuse it.</summary>
public sealed record AccessDecision(bool Allowed, StatusCode Code, string Message, AdminClaims? Claims)
{
    public static AccessDecision Allow(AdminClaims? claims) => new(true, StatusCode.OK, "", claims);
    public static AccessDecision Refuse(StatusCode code, string message) => new(false, code, message, null);
}

/// <summary>
/// Who may call the admin API (gRPC AdminService and the dashboard's data). With a token secret
/// (<see cref="SecretFileVariable"/>) every call needs <c>Authorization: Bearer TOKEN</c> with a
/// role high enough for the call. Without one the API is open, to callers on this machine only
/// (embedded demo, development, tests).
/// </summary>
public sealed class AdminAccess(AdminTokens? tokens, TimeProvider clock)
{
    /// <summary>Configuration key (an environment variable) naming the secret file.</summary>
    public const string SecretFileVariable = "FEDRAD_ADMIN_SECRET_FILE";

    public bool RequiresTokens => tokens is not null;

    /// <summary>The least role each call needs; a call not listed (added later) needs an operator.</summary>
    private static readonly Dictionary<string, AdminRole> Required = new()
    {
        ["GetStudy"] = AdminRole.ReadOnly,
        ["ListSites"] = AdminRole.ReadOnly,
        ["ListStudies"] = AdminRole.ReadOnly,
        ["GetModelRegistry"] = AdminRole.ReadOnly,
        ["GetOverview"] = AdminRole.ReadOnly,
        ["GetAnalysis"] = AdminRole.ReadOnly,
        ["GetEvaluationDetail"] = AdminRole.Statistician,
        ["StartAnalysis"] = AdminRole.Statistician,
        ["CreateStudy"] = AdminRole.Operator,
        ["StartStudy"] = AdminRole.Operator,
        ["CancelStudy"] = AdminRole.Operator,
    };

    public static AdminRole RequiredRole(string call) => Required.GetValueOrDefault(call, AdminRole.Operator);

    public AccessDecision Authorize(string call, string? authorization, IPAddress? remote)
    {
        if (tokens is null)
        {
            if (remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)) return AccessDecision.Allow(null);
            return AccessDecision.Refuse(StatusCode.PermissionDenied,
                $"this coordinator has no admin token secret ({SecretFileVariable}) and accepts admin calls from its own machine only; {remote} is not loopback");
        }
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            return AccessDecision.Refuse(StatusCode.Unauthenticated, "admin token required: pass --token TOKEN or set FEDRAD_TOKEN (issued with `fedrad token issue`)");
        AdminClaims claims;
        try { claims = tokens.Verify(authorization["Bearer ".Length..].Trim(), clock.GetUtcNow()); }
        catch (AdminTokenException e) { return AccessDecision.Refuse(StatusCode.Unauthenticated, e.Message); }
        var needed = RequiredRole(call);
        if (claims.Role < needed)
            return AccessDecision.Refuse(StatusCode.PermissionDenied,
                $"{call} needs the {AdminTokens.RoleName(needed)} role; this token ({claims.Subject}) is {AdminTokens.RoleName(claims.Role)}");
        return AccessDecision.Allow(claims);
    }

    /// <summary>Registers the access check (gRPC interceptor on AdminService). Throws <see cref="ArgumentException"/> for an unusable secret file.</summary>
    public static void AddTo(WebApplicationBuilder builder, string secretFile = "")
    {
        var file = secretFile.Length > 0 ? secretFile : builder.Configuration[SecretFileVariable];
        var tokens = string.IsNullOrEmpty(file) ? null : AdminTokens.FromSecretFile(file);
        builder.Services.AddSingleton(sp => new AdminAccess(tokens, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddGrpc().AddServiceOptions<AdminGrpcService>(o => o.Interceptors.Add<AdminAccessInterceptor>());
    }
}

/// <summary>Checks every AdminService call against <see cref="AdminAccess"/> before it runs.</summary>
public sealed class AdminAccessInterceptor(AdminAccess access, ILogger<AdminAccessInterceptor> log) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        await continuation(request, responseStream, context);
    }

    private const string CallerKey = "fedrad.admin.caller";

    /// <summary>Who made the call, for logs and records: the token's subject and role, or "a local operator" without tokens.</summary>
    public static string Caller(ServerCallContext context) => context.UserState.TryGetValue(CallerKey, out var who) ? (string)who : "an operator";

    private void Check(ServerCallContext context)
    {
        var call = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        var http = context.GetHttpContext();
        var decision = access.Authorize(call, context.RequestHeaders.GetValue("authorization"), http.Connection.RemoteIpAddress);
        if (decision.Allowed)
        {
            context.UserState[CallerKey] = decision.Claims is { } who ? $"{who.Subject} ({AdminTokens.RoleName(who.Role)})" : "a local operator";
            if (decision.Claims is { } c && AdminAccess.RequiredRole(call) == AdminRole.Operator)
                log.LogInformation("Admin {Call} by {Subject} ({Role})", call, c.Subject, AdminTokens.RoleName(c.Role));
            return;
        }
        log.LogWarning("Refused admin {Call} from {Remote} ({Code}): {Message}", call, http.Connection.RemoteIpAddress, decision.Code, decision.Message);
        throw new RpcException(new Status(decision.Code, decision.Message));
    }
}
