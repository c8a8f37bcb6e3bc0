namespace FedRad.Statistics.Data;

/// <summary>Input that an analysis cannot use (a file, a column, an option), with a message that
/// says what is wrong and where. Analyses stop on it; nothing is reported as a result.</summary>
public sealed class StatisticsInputException(string message) : Exception(message);
