using FedRad.Privacy.Pki;

namespace FedRad.Privacy.Tests.Pki;

/// <summary>A consortium CA in a fresh temporary directory, deleted afterwards.</summary>
internal sealed class TempCa : IDisposable
{
    public TempCa(string name = "Test consortium")
    {
        Root = Directory.CreateTempSubdirectory("fedrad-pki-").FullName;
        CaDirectory = Path.Combine(Root, "ca");
        using (var created = ConsortiumCa.Create(name, DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddYears(10)))
            created.Save(CaDirectory, TimeSpan.FromDays(30));
        Ca = ConsortiumCa.Load(CaDirectory);
    }

    public string Root { get; }
    public string CaDirectory { get; }
    public ConsortiumCa Ca { get; }

    public IssuedCertificate Site(string id, int fromDays = -1, int toDays = 365) =>
        Ca.IssueSite(id, DateTimeOffset.UtcNow.AddDays(fromDays), DateTimeOffset.UtcNow.AddDays(toDays));

    public void Dispose()
    {
        Ca.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
