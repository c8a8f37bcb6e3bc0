namespace FedRad.Radiomics.Processing;

/// <summary>
/// An image/mask pair that features cannot be computed from (empty mask, mask outside the image, mismatched grids,
/// NaN inside the ROI, ...). The message names the ROI and what was wrong.
/// </summary>
public sealed class RadiomicsInputException(string message) : Exception(message);
