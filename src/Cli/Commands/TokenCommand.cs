using System.CommandLine;
using System.Globalization;
using FedRad.Coordinator.Security;

namespace FedRad.Cli.Commands;

/// <summary>
/// `fedrad token secret|issue`: the admin API's bearer tokens (docs/operators.md). The coordinator
/// verifies them with the same secret file (FEDRAD_ADMIN_SECRET_FILE).
/// </summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var secretOut = new Option<string>("--out") { Description = "new secret file (mode 0600; never overwritten)", Required = true };
        var secret = new Command("secret", "Create the admin token secret the coordinator and token issuers share") { secretOut };
        secret.SetAction(parse =>
        {
            var path = parse.GetValue(secretOut)!;
            if (File.Exists(path)) return Error($"{path} exists: a new secret would invalidate every token issued with it; remove it first if that is what you want");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options)) writer.WriteLine(AdminTokens.NewSecret());
            Console.WriteLine($"wrote {Path.GetFullPath(path)}; start the coordinator with {AdminAccess.SecretFileVariable}={Path.GetFullPath(path)}");
            return 0;
        });

        var role = new Option<string>("--role") { Description = "operator, statistician or read-only", Required = true };
        var expires = new Option<string>("--expires") { Description = "lifetime: e.g. 30d, 12h, 45m", DefaultValueFactory = _ => "30d" };
        var secretFile = new Option<string>("--secret-file") { Description = "the coordinator's admin token secret", Required = true };
        var subject = new Option<string>("--name") { Description = "who the token is for (shown in the coordinator's log)", DefaultValueFactory = _ => Environment.UserName };
        var issue = new Command("issue", "Issue an admin token (printed on stdout)") { role, expires, secretFile, subject };
        issue.SetAction(parse =>
        {
            if (AdminTokens.ParseRole(parse.GetValue(role)!) is not { } r) return Error($"--role '{parse.GetValue(role)}' is not a role (operator, statistician, read-only)");
            if (Lifetime(parse.GetValue(expires)!) is not { } lifetime) return Error($"--expires '{parse.GetValue(expires)}' is not a lifetime (e.g. 30d, 12h, 45m)");
            try
            {
                var tokens = AdminTokens.FromSecretFile(parse.GetValue(secretFile)!);
                var now = DateTimeOffset.UtcNow;
                Console.WriteLine(tokens.Issue(r, parse.GetValue(subject)!, now, now + lifetime));
                Console.Error.WriteLine($"fedrad token: {AdminTokens.RoleName(r)} token for {parse.GetValue(subject)}, expires {now + lifetime:yyyy-MM-dd HH:mm} UTC");
                return 0;
            }
            catch (ArgumentException e) { return Error(e.Message); }
        });

        return new Command("token", "Admin API tokens") { secret, issue };
    }

    /// <summary>"30d", "12h", "45m" or "90s"; null when not one of these or not positive.</summary>
    public static TimeSpan? Lifetime(string text)
    {
        if (text.Length < 2 || !int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0) return null;
        return text[^1] switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            's' => TimeSpan.FromSeconds(n),
            _ => null,
        };
    }

    private static int Error(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
