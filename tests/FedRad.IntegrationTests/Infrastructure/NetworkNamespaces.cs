using System.Diagnostics;

namespace FedRad.IntegrationTests.Infrastructure;

/// <summary>
/// Separate network hosts on this machine: one Linux network namespace per host, each joined to a
/// private bridge by a veth pair, on a private /24 that exists only inside this test. Needs root
/// (CAP_NET_ADMIN) and iproute2, which scripts/test.sh installs.
/// </summary>
public sealed class NetworkNamespaces : IDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..4];
    private readonly List<string> _namespaces = [];
    private readonly Dictionary<string, string> _hostSideLink = [];
    private readonly int _subnet = Random.Shared.Next(100, 250);
    private string Bridge => $"frb{_id}";

    public string GatewayAddress => $"10.{_subnet}.{_subnet % 200}.254";

    public NetworkNamespaces()
    {
        Ip($"link add {Bridge} type bridge");
        Ip($"addr add {GatewayAddress}/24 dev {Bridge}");
        Ip($"link set {Bridge} up");
    }

    /// <summary>Adds a host; returns its namespace name and its address on the private network.</summary>
    public (string Namespace, string Address) AddHost(int number)
    {
        var ns = $"fr{_id}h{number}";
        var address = $"10.{_subnet}.{_subnet % 200}.{number}";
        string host = $"frv{_id}{number}a", guest = $"frv{_id}{number}b";
        Ip($"netns add {ns}");
        _namespaces.Add(ns);
        Ip($"link add {host} type veth peer name {guest}");
        Ip($"link set {guest} netns {ns}");
        Ip($"link set {host} master {Bridge}");
        Ip($"link set {host} up");
        Ip($"netns exec {ns} ip addr add {address}/24 dev {guest}");
        Ip($"netns exec {ns} ip link set {guest} up");
        Ip($"netns exec {ns} ip link set lo up");
        _hostSideLink[ns] = host;
        return (ns, address);
    }

    /// <summary>Pulls the host's cable: its link to the bridge goes down (packets are dropped, no reset is sent).</summary>
    public void Cut(string ns) => Ip($"link set {_hostSideLink[ns]} down");

    public void Restore(string ns) => Ip($"link set {_hostSideLink[ns]} up");

    public void Dispose()
    {
        foreach (var ns in _namespaces) Ip($"netns del {ns}", check: false);
        Ip($"link del {Bridge}", check: false);
    }

    private static void Ip(string arguments, bool check = true)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"'ip {arguments}' failed ({p.ExitCode}): {error.Trim()} — the multi-host tests need root (CAP_NET_ADMIN) and iproute2");
    }
}
