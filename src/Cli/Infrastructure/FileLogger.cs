using Microsoft.Extensions.Logging;

namespace FedRad.Cli.Infrastructure;

/// <summary>Writes log lines to a file, so that the demo's console shows progress and not logs.</summary>
public sealed class FileLoggerProvider(string path, LogLevel minimum) : ILoggerProvider
{
    private readonly StreamWriter _writer = CreateWriter(path);
    private readonly Lock _gate = new();

    private static StreamWriter CreateWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose() { lock (_gate) _writer.Dispose(); }

    private void Write(string line) { lock (_gate) _writer.WriteLine(line); }

    private sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel level) => level >= owner._minimum;
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(level)) return;
            var line = $"{DateTimeOffset.UtcNow:O} {level,-11} {category}: {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            owner.Write(line);
        }
    }

    private readonly LogLevel _minimum = minimum;
}
