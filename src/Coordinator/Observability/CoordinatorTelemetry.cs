using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FedRad.Coordinator.Observability;

/// <summary>
/// The coordinator's OpenTelemetry signals: traces of uploads, downloads and round closings, and
/// metrics of round duration, participants, rejections and bytes moved. Export them with
/// <c>--otlp-endpoint</c>, or read them in process with a MeterListener / ActivityListener.
/// </summary>
public static class CoordinatorTelemetry
{
    public const string Name = "FedRad.Coordinator";

    public static readonly ActivitySource Traces = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> RoundDuration = Meter.CreateHistogram<double>("fedrad.round.duration", "s", "time from opening a round to its closing");
    public static readonly Histogram<int> RoundParticipants = Meter.CreateHistogram<int>("fedrad.round.participants", "{site}", "sites whose results a closed round used");
    public static readonly Counter<long> Rejections = Meter.CreateCounter<long>("fedrad.updates.rejected", "{update}", "site results refused, by reason");
    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>("fedrad.bytes.received", "By", "payload bytes uploaded by sites");
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("fedrad.bytes.sent", "By", "model bytes downloaded by sites");
}
