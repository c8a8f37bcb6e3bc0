namespace FedRad.DeepLearning.Data;

/// <summary>
/// The fixed intensity scaling of patch channels, the same at every site (no site statistics needed):
/// PET as SUV / 10, CT as HU / 500 after clipping to [−1000, 1000] HU.
/// </summary>
public static class PatchNormalisation
{
    public const float SuvScale = 10f;
    public const float HuScale = 500f;

    public static float Pet(double suv) => (float)(suv / SuvScale);

    public static float Ct(double hu) => (float)(Math.Clamp(hu, -1000, 1000) / HuScale);
}
