namespace FedRad.Coordinator.Grains;

public static class StorageNames
{
    /// <summary>The grain storage provider every FedRad grain persists to (memory when embedded).</summary>
    public const string Default = "fedrad";
}
