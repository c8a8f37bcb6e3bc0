namespace FedRad.Privacy.SecureAggregation;

/// <summary>Why a secure-aggregation step was refused; lets the coordinator map it to a status.</summary>
public enum SecAggFailure
{
    /// <summary>The session parameters are inconsistent (threshold, participants, vector length).</summary>
    InvalidConfig,
    /// <summary>A message is malformed: wrong session, lengths, missing or extra shares (INVALID_ARGUMENT).</summary>
    InvalidMessage,
    /// <summary>The message belongs to a phase that is closed or not open yet (FAILED_PRECONDITION).</summary>
    WrongPhase,
    /// <summary>The sender is not a participant, or not one the phase expects (PERMISSION_DENIED).</summary>
    NotParticipant,
    /// <summary>A site sent a different message for a phase it already answered (ALREADY_EXISTS).</summary>
    Conflict,
    /// <summary>Fewer than the threshold of sites survived a phase: the round cannot be aggregated securely.</summary>
    ThresholdNotMet,
    /// <summary>Shares, ciphertexts or keys do not fit together: some party sent wrong data (DATA_LOSS).</summary>
    Inconsistent,
}

public sealed class SecAggException(SecAggFailure failure, string message) : Exception(message)
{
    public SecAggFailure Failure { get; } = failure;
}
