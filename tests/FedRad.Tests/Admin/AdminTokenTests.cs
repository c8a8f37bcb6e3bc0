using System.Net;
using System.Text;
using FedRad.Coordinator.Security;
using Grpc.Core;

namespace FedRad.Tests.Admin;

/// <summary>Admin tokens and the access check the gRPC interceptor and the dashboard share.</summary>
public sealed class AdminTokenTests
{
    private static readonly DateTimeOffset Now = new(2027, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly AdminTokens Tokens = new(Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef"));

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static AccessDecision Call(string call, string? token, string remote = "10.1.2.3") =>
        new AdminAccess(Tokens, new FixedClock(Now)).Authorize(call, token is null ? null : $"Bearer {token}", IPAddress.Parse(remote));

    [Fact]
    public void A_token_carries_its_role_and_subject_until_it_expires()
    {
        var token = Tokens.Issue(AdminRole.Statistician, "dr-stat", Now.AddDays(-1), Now.AddDays(29));
        var claims = Tokens.Verify(token, Now);
        Assert.Equal(AdminRole.Statistician, claims.Role);
        Assert.Equal("dr-stat", claims.Subject);
        Assert.Equal(Now.AddDays(29), claims.ExpiresAt);

        var expired = Assert.Throws<AdminTokenException>(() => Tokens.Verify(token, Now.AddDays(29)));
        Assert.Contains("admin token expired at 2027-03-30 12:00:00Z", expired.Message);
    }

    [Fact]
    public void A_tampered_token_or_one_signed_with_another_secret_is_refused()
    {
        var token = Tokens.Issue(AdminRole.ReadOnly, "viewer", Now, Now.AddDays(1));
        // Same signature, payload rewritten to claim the operator role.
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(parts[1].Replace('-', '+').Replace('_', '/').PadRight((parts[1].Length + 3) / 4 * 4, '=')));
        Assert.Contains("\"role\":\"read-only\"", payload);
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("read-only", "operator"))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var e = Assert.Throws<AdminTokenException>(() => Tokens.Verify($"{parts[0]}.{forged}.{parts[2]}", Now));
        Assert.Contains("signature is not valid", e.Message);

        var other = new AdminTokens(Encoding.ASCII.GetBytes("another secret, at least 32 bytes long"));
        Assert.Contains("signature is not valid", Assert.Throws<AdminTokenException>(() => other.Verify(token, Now)).Message);
        Assert.Contains("malformed", Assert.Throws<AdminTokenException>(() => Tokens.Verify("not-a-token", Now)).Message);
        Assert.Throws<ArgumentException>(() => new AdminTokens(new byte[16]));
    }

    [Fact]
    public void Each_call_needs_its_role_and_the_refusal_says_why()
    {
        var readOnly = Tokens.Issue(AdminRole.ReadOnly, "viewer", Now, Now.AddDays(1));
        var statistician = Tokens.Issue(AdminRole.Statistician, "stat", Now, Now.AddDays(1));
        var op = Tokens.Issue(AdminRole.Operator, "ops", Now, Now.AddDays(1));

        Assert.True(Call("GetStudy", readOnly).Allowed);
        Assert.True(Call("GetOverview", readOnly).Allowed);
        var denied = Call("CreateStudy", readOnly);
        Assert.Equal(StatusCode.PermissionDenied, denied.Code);
        Assert.Equal("CreateStudy needs the operator role; this token (viewer) is read-only", denied.Message);
        Assert.Equal(StatusCode.PermissionDenied, Call("GetEvaluationDetail", readOnly).Code);
        Assert.True(Call("GetEvaluationDetail", statistician).Allowed);
        Assert.Equal(StatusCode.PermissionDenied, Call("CancelStudy", statistician).Code);
        Assert.True(Call("CancelStudy", op).Allowed);
        // A call the table does not know (added later) needs an operator.
        Assert.Equal(StatusCode.PermissionDenied, Call("SomeNewCall", statistician).Code);

        var none = Call("GetStudy", null);
        Assert.Equal(StatusCode.Unauthenticated, none.Code);
        Assert.Contains("admin token required", none.Message);
        var expired = Call("GetStudy", Tokens.Issue(AdminRole.Operator, "ops", Now.AddDays(-2), Now.AddDays(-1)));
        Assert.Equal(StatusCode.Unauthenticated, expired.Code);
        Assert.Contains("expired", expired.Message);
    }

    [Fact]
    public void Without_a_secret_the_admin_api_is_open_to_this_machine_only()
    {
        var open = new AdminAccess(null, new FixedClock(Now));
        Assert.True(open.Authorize("CreateStudy", null, IPAddress.Loopback).Allowed);
        Assert.True(open.Authorize("CreateStudy", null, IPAddress.IPv6Loopback).Allowed);
        Assert.True(open.Authorize("CreateStudy", null, IPAddress.Loopback.MapToIPv6()).Allowed);
        var remote = open.Authorize("GetStudy", null, IPAddress.Parse("10.200.0.2"));
        Assert.False(remote.Allowed);
        Assert.Equal(StatusCode.PermissionDenied, remote.Code);
        Assert.Contains("accepts admin calls from its own machine only", remote.Message);
    }
}
