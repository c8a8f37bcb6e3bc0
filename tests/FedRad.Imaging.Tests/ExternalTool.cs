using System.Diagnostics;
using System.Text;

namespace FedRad.Imaging.Tests;

/// <summary>
/// Runs the DICOM reference tools (dcmtk, GDCM) the tests cross-check against. A missing tool fails the test with
/// the package to install; it never skips.
/// </summary>
public static class ExternalTool
{
    private static readonly Dictionary<string, string> Packages = new()
    {
        ["dcmdump"] = "dcmtk", ["dcmdjpeg"] = "dcmtk", ["dcmdrle"] = "dcmtk", ["dcmconv"] = "dcmtk", ["dcmcjpeg"] = "dcmtk",
        ["gdcmconv"] = "libgdcm-tools", ["gdcmdump"] = "libgdcm-tools", ["gdcminfo"] = "libgdcm-tools",
    };

    public static string Run(string tool, params string[] args)
    {
        var (code, stdout, stderr) = TryRun(tool, args);
        if (code != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {code}: {stderr}{stdout}");
        return stdout;
    }

    /// <summary>For tools that print the file's own 8-bit text (dcmdump without +U8).</summary>
    public static string RunLatin1(string tool, params string[] args)
    {
        var (code, stdout, stderr) = TryRun(tool, Encoding.Latin1, args);
        if (code != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {code}: {stderr}{stdout}");
        return stdout;
    }

    public static (int ExitCode, string StdOut, string StdErr) TryRun(string tool, params string[] args) => TryRun(tool, Encoding.UTF8, args);

    public static (int ExitCode, string StdOut, string StdErr) TryRun(string tool, Encoding encoding, params string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = encoding, StandardErrorEncoding = encoding,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{tool}' is not installed or not on PATH ({e.Message}). These tests cross-check against it: install the Debian package '{Packages.GetValueOrDefault(tool, "?")}' (scripts/test.sh does).", e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in 120 s");
            }
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
