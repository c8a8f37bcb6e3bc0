namespace FedRad.Learning.Data;

/// <summary>
/// A site's train/test split for honest evaluation: an optional column <c>split</c> (in outcomes.csv, or in the cohort
/// table) holding <c>train</c> (or nothing) or <c>test</c> per patient. Training never sees a test patient; an
/// evaluation measures the test patients when the site has any, else every patient.
/// </summary>
public static class HoldOut
{
    public const string Column = "split";

    /// <summary>Whether the cell marks the patient as held out; throws naming the file and line for any other value.</summary>
    public static bool Parse(string cell, string path, int line) => cell.Trim() switch
    {
        "" or "train" => false,
        "test" => true,
        var v => throw new CohortFormatException($"{path}: line {line}, column '{Column}': '{v}' is not train or test"),
    };

    /// <summary>The rows training uses: every row not held out.</summary>
    public static IReadOnlyList<int> TrainingRows(IReadOnlyList<bool> heldOut) =>
        Enumerable.Range(0, heldOut.Count).Where(i => !heldOut[i]).ToList();

    /// <summary>The rows an evaluation uses: the held-out rows when there are any, else all.</summary>
    public static IReadOnlyList<int> EvaluationRows(IReadOnlyList<bool> heldOut) =>
        heldOut.Any(h => h) ? Enumerable.Range(0, heldOut.Count).Where(i => heldOut[i]).ToList() : Enumerable.Range(0, heldOut.Count).ToList();
}
