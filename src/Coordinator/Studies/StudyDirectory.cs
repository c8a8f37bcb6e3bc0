using FedRad.Coordinator.Grains;
using Orleans.Concurrency;

namespace FedRad.Coordinator.Studies;

/// <summary>The id of every study ever created (the dashboard and `fedrad study list`). Single instance, key 0.</summary>
public interface IStudyDirectoryGrain : IGrainWithIntegerKey
{
    Task Add(string studyId);
    [AlwaysInterleave] Task<IReadOnlyList<string>> List();
}

[GenerateSerializer, Alias("FedRad.StudyDirectoryState")]
public sealed class StudyDirectoryState
{
    [Id(0)] public SortedSet<string> StudyIds { get; set; } = new(StringComparer.Ordinal);
}

public sealed class StudyDirectoryGrain(
    [PersistentState("studies", StorageNames.Default)] IPersistentState<StudyDirectoryState> state) : Grain, IStudyDirectoryGrain
{
    public async Task Add(string studyId)
    {
        if (state.State.StudyIds.Add(studyId)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(state.State.StudyIds.ToList());
}
