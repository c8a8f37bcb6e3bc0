namespace FedRad.Imaging.Spect;

/// <summary>
/// Whether two SPECT timepoints of one patient (e.g. salivary-gland uptake at its maximum and at baseline, or 177Lu
/// scans on days 1 and 4) can be compared feature by feature — the condition for delta radiomics
/// (<c>DeltaRadiomics.Compute</c>) and for the two-timepoint deep model to mean anything.
/// </summary>
public static class SpectTimepoints
{
    /// <summary>
    /// Problems (features not comparable: different patient, quantity or unit, isotope; for counts, different camera,
    /// energy window or voxel size) and caveats (still comparable, but read with care).
    /// </summary>
    public static (IReadOnlyList<string> Problems, IReadOnlyList<string> Caveats) Compare(SpectImage baseline, SpectImage followUp)
    {
        var problems = new List<string>();
        var caveats = new List<string>();
        SpectAcquisition a = baseline.Acquisition, b = followUp.Acquisition;
        if (!string.Equals(a.PatientId, b.PatientId, StringComparison.Ordinal))
            problems.Add($"different patients: Patient ID '{a.PatientId}' and '{b.PatientId}'");
        if (baseline.Quantity != followUp.Quantity || baseline.Values.Unit != followUp.Values.Unit)
            problems.Add($"different quantities: {baseline.Values.Unit} ({baseline.Quantity}) at baseline, {followUp.Values.Unit} ({followUp.Quantity}) at follow-up; load both with the same calibration and normalisation");
        if (a.Nuclide != b.Nuclide || a.NuclideAsNamed != b.NuclideAsNamed)
            problems.Add($"different radionuclides: {a.NuclideAsNamed ?? "unknown"} and {b.NuclideAsNamed ?? "unknown"}");
        if (baseline.Quantity == SpectQuantity.Counts && followUp.Quantity == SpectQuantity.Counts)
        {
            if (a.Camera != b.Camera)
                problems.Add($"counts from different cameras ({a.Camera}; {b.Camera}) are not comparable without a calibration");
            if (!a.EnergyWindows.SequenceEqual(b.EnergyWindows))
                problems.Add($"counts from different energy windows ({string.Join(", ", a.EnergyWindows)}; {string.Join(", ", b.EnergyWindows)})");
            if (Math.Abs(baseline.Grid.VoxelVolume - followUp.Grid.VoxelVolume) > 1e-6 * baseline.Grid.VoxelVolume)
                problems.Add($"counts per voxel of different voxel sizes ({baseline.Grid.VoxelVolume:0.###} and {followUp.Grid.VoxelVolume:0.###} mm³)");
            if (a.Nuclide is { } n && a.AcquisitionStart is { } t0 && b.AcquisitionStart is { } t1)
            {
                var decay = Math.Pow(2, -(t1 - t0).TotalSeconds / n.HalfLifeSeconds);
                caveats.Add($"counts are not decay corrected: between the acquisitions {n} decayed to {decay:0.###} of its activity, so count differences include that physical decay, not only biology (and any difference in acquisition duration)");
            }
        }
        return (problems, caveats);
    }
}
