using FedRad.Coordinator.Security;
using FedRad.Coordinator.Storage;
using FedRad.Coordinator.Studies;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FedRad.Coordinator.Dashboard;

/// <summary>
/// The operators' dashboard on the coordinator's HTTP/1.1 endpoint: one page (HTML, CSS and script
/// embedded in this assembly; nothing loads from elsewhere) that polls <c>/dashboard/api/overview</c>
/// (the admin API's <c>GetOverview</c> as protobuf JSON) every second. The page itself holds no data;
/// the data endpoint is checked like the admin API (token, or loopback only without a secret).
/// </summary>
public static class DashboardEndpoints
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    private static readonly Dictionary<string, string> Files = new()
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["dashboard.js"] = "text/javascript; charset=utf-8",
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard/{file?}", (string? file) => Page(file ?? "index.html"));
        app.MapGet("/dashboard/api/overview", async (HttpContext http, AdminAccess access, Orleans.IGrainFactory grains, IBlobStore blobs, TimeProvider clock) =>
        {
            var decision = access.Authorize("GetOverview", http.Request.Headers.Authorization.ToString(), http.Connection.RemoteIpAddress);
            if (!decision.Allowed)
                return Results.Json(new { error = decision.Message }, statusCode: decision.Code == Grpc.Core.StatusCode.Unauthenticated ? 401 : 403);
            var overview = await new StudyQueries(grains, blobs).Overview(clock);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Text(Json.Format(overview), "application/json");
        });
    }

    private static IResult Page(string file)
    {
        if (!Files.TryGetValue(file, out var type)) return Results.NotFound();
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream($"dashboard/{file}")
            ?? throw new InvalidOperationException($"dashboard resource {file} is missing from the build");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        // No page of the dashboard may load anything from elsewhere, nor run inline code.
        return new PageResult(buffer.ToArray(), type);
    }

    private sealed class PageResult(byte[] body, string contentType) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.ContentType = contentType;
            return http.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
