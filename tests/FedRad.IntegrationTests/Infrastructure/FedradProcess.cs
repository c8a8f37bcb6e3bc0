using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FedRad.IntegrationTests.Infrastructure;

/// <summary>A `fedrad` command running as its own OS process, with its output captured for assertions and diagnostics.</summary>
public sealed class FedradProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    public string Name { get; }
    public string Output => string.Join('\n', _output);
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    private FedradProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public static FedradProcess Start(string name, params string[] args) => StartIn(null, name, args);

    /// <summary>Starts the command inside a network namespace (<c>ip netns exec</c>), or in this one when null.</summary>
    public static FedradProcess StartIn(string? netns, string name, params string[] args)
    {
        var psi = new ProcessStartInfo(netns is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (netns is not null)
        {
            // ip execs the command in the namespace: the process started is dotnet itself.
            foreach (var a in new[] { "netns", "exec", netns, "dotnet" }) psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "fedrad.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_gcServer"] = "0";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var p = new FedradProcess(name, process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) p._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) p._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs a command to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> Run(TimeSpan timeout, params string[] args)
    {
        await using var p = Start(args.FirstOrDefault() ?? "fedrad", args);
        using var cts = new CancellationTokenSource(timeout);
        await p._process.WaitForExitAsync(cts.Token);
        p._process.WaitForExit(); // drains the output readers
        return (p._process.ExitCode, p.Output);
    }

    public async Task<Match> WaitForOutput(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var line in _output)
                if (regex.Match(line) is { Success: true } m) return m;
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing /{pattern}/:\n{Output}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"{Name} did not print /{pattern}/ within {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: the process gets no chance to clean up, as in a crash or a pulled plug.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        KillHard();
        _process.Dispose();
        await Task.CompletedTask;
    }
}
