using FedRad.Coordinator.Contracts.Model;
using FedRad.Privacy.SecureAggregation;

namespace FedRad.Coordinator.Grains;

/// <summary>
/// The coordinator's side of one four-phase secure-aggregation session as tasks (docs/privacy.md §7),
/// shared by the rounds of a study (RoundGrain) and the summable requests of an analysis (SecureSumGrain):
/// which task stage a phase is, a site's small reply applied to the session, and the close of a phase
/// into the next phase's message per site (or, after unmasking, the sum).
/// </summary>
public static class SecAggFlow
{
    public static SecAggTaskStage Stage(SecAggPhase phase) => phase switch
    {
        SecAggPhase.AdvertisingKeys => SecAggTaskStage.Advertise,
        SecAggPhase.SharingKeys => SecAggTaskStage.Share,
        SecAggPhase.CollectingInputs => SecAggTaskStage.Mask,
        SecAggPhase.Unmasking => SecAggTaskStage.Unmask,
        _ => SecAggTaskStage.None,
    };

    /// <summary>An ADVERTISE, SHARE or UNMASK reply of <paramref name="caller"/>; a message in another site's name is refused.</summary>
    public static void Receive(SecAggCoordinator session, SecAggTaskStage stage, string message, string caller)
    {
        switch (stage)
        {
            case SecAggTaskStage.Advertise:
                var keys = SecAggJson.Deserialize<AdvertiseKeys>(message);
                Sender(keys.SiteId, caller);
                session.Receive(keys);
                break;
            case SecAggTaskStage.Share:
                var shares = SecAggJson.Deserialize<ShareKeys>(message);
                Sender(shares.SiteId, caller);
                session.Receive(shares);
                break;
            case SecAggTaskStage.Unmask:
                var unmasking = SecAggJson.Deserialize<UnmaskingResponse>(message);
                Sender(unmasking.SiteId, caller);
                session.Receive(unmasking);
                break;
            default:
                throw new SecAggException(SecAggFailure.InvalidMessage, $"stage {stage} is not answered with SubmitSecAgg (the masked input is an upload)");
        }
    }

    /// <summary>Closes the current phase: the next phase's message per site, or after unmasking the result (no messages).</summary>
    public static (Dictionary<string, string> Next, SecAggResult? Result) Close(SecAggCoordinator session)
    {
        switch (session.Phase)
        {
            case SecAggPhase.AdvertisingKeys:
                var directory = session.CloseAdvertising();
                var json = SecAggJson.Serialize(directory);
                return (directory.Keys.ToDictionary(k => k.SiteId, _ => json), null);
            case SecAggPhase.SharingKeys:
                return (session.CloseSharing().ToDictionary(kv => kv.Key, kv => SecAggJson.Serialize(kv.Value)), null);
            case SecAggPhase.CollectingInputs:
                var request = session.CloseMasking();
                var requestJson = SecAggJson.Serialize(request);
                return (request.Survivors.ToDictionary(s => s, _ => requestJson), null);
            default:
                return ([], session.Finish());
        }
    }

    public static SubmitOutcome Outcome(SecAggFailure failure) => failure switch
    {
        SecAggFailure.WrongPhase => SubmitOutcome.RoundClosed,
        SecAggFailure.NotParticipant => SubmitOutcome.NotSelected,
        SecAggFailure.Conflict => SubmitOutcome.Conflict,
        _ => SubmitOutcome.Invalid,
    };

    private static void Sender(string named, string caller)
    {
        if (named != caller) throw new SecAggException(SecAggFailure.NotParticipant, $"site '{caller}' sent a message in the name of '{named}'");
    }
}
