using FedRad.Privacy.SecureAggregation;

namespace FedRad.Privacy.Tests.SecureAggregation;

/// <summary>Threshold violations and bad messages: refused with a clear reason, state unchanged.</summary>
public class RefusalTests
{
    private static readonly SecAggConfig Config = SessionHarness.MakeConfig(5, 3, 16);

    private static (SecAggCoordinator Coordinator, Dictionary<string, SecAggSite> Sites) Start()
    {
        var sites = Config.Participants.Select((p, i) => (p, new SecAggSite(Config, p, new SeededRandom(50 + (ulong)i)))).ToDictionary(x => x.p, x => x.Item2);
        return (new SecAggCoordinator(Config), sites);
    }

    private static double[] Input(double v) => Enumerable.Repeat(v, 16).ToArray();

    [Fact]
    public void Configurations_below_a_majority_threshold_are_refused()
    {
        Assert.Contains("more than half of the 5 participants", Assert.Throws<SecAggException>(() => new SecAggCoordinator(SessionHarness.MakeConfig(5, 2, 4))).Message);
        Assert.Contains("at most 4", Assert.Throws<SecAggException>(() => new SecAggCoordinator(SessionHarness.MakeConfig(4, 5, 4))).Message);
        Assert.Equal(3, SecAggConfig.MajorityThreshold(5));
        Assert.Equal(2, SecAggConfig.MajorityThreshold(2));
    }

    [Fact]
    public void Too_few_sites_at_any_phase_stop_the_session_with_the_counts_and_leave_it_open_for_late_messages()
    {
        var (c, sites) = Start();
        c.Receive(sites["site-a"].AdvertiseKeys());
        c.Receive(sites["site-b"].AdvertiseKeys());
        var e = Assert.Throws<SecAggException>(c.CloseAdvertising);
        Assert.Equal(SecAggFailure.ThresholdNotMet, e.Failure);
        Assert.Contains("only 2 of 5 sites advertised keys; the threshold is 3", e.Message);
        Assert.Equal(SecAggPhase.AdvertisingKeys, c.Phase);

        foreach (var s in new[] { "site-c", "site-d", "site-e" }) c.Receive(sites[s].AdvertiseKeys());
        var directory = c.CloseAdvertising();
        foreach (var s in new[] { "site-a", "site-b", "site-c", "site-d" }) c.Receive(sites[s].ShareKeys(directory));
        var inboxes = c.CloseSharing();
        Assert.Equal(["site-a", "site-b", "site-c", "site-d"], inboxes["site-a"].Holders);

        // Two inputs arrive: one short of the threshold.
        c.Receive(sites["site-a"].MaskInput(Input(1), inboxes["site-a"]));
        c.Receive(sites["site-b"].MaskInput(Input(2), inboxes["site-b"]));
        Assert.Contains("only 2 of 5 sites sent masked inputs", Assert.Throws<SecAggException>(c.CloseMasking).Message);
        Assert.Equal(["site-c", "site-d"], c.Pending);
        c.Receive(sites["site-c"].MaskInput(Input(4), inboxes["site-c"]));
        var request = c.CloseMasking();
        Assert.Equal(["site-d"], request.Dropped);

        c.Receive(sites["site-a"].Unmask(request));
        c.Receive(sites["site-b"].Unmask(request));
        e = Assert.Throws<SecAggException>(c.Finish);
        Assert.Equal(SecAggFailure.ThresholdNotMet, e.Failure);
        Assert.Contains("2 of 3 survivors sent their shares; 3 are needed", e.Message);
        c.Receive(sites["site-c"].Unmask(request));
        Assert.Equal(Input(7), c.Finish().Sum);
    }

    [Fact]
    public void A_site_refuses_a_key_directory_or_inbox_below_the_threshold()
    {
        var (c, sites) = Start();
        var keys = Config.Participants.Select(p => sites[p].AdvertiseKeys()).ToList();
        var e = Assert.Throws<SecAggException>(() => sites["site-a"].ShareKeys(new KeyDirectory(Config.SessionId, keys.Take(2).ToList())));
        Assert.Equal(SecAggFailure.ThresholdNotMet, e.Failure);
    }

    [Fact]
    public void Messages_from_outsiders_other_sessions_late_or_conflicting_senders_are_refused_and_change_nothing()
    {
        var (c, sites) = Start();
        foreach (var s in sites.Values) c.Receive(s.AdvertiseKeys());
        var outsider = new SecAggSite(Config with { Participants = [.. Config.Participants, "site-x"], Threshold = 4 }, "site-x");
        var e = Assert.Throws<SecAggException>(() => c.Receive(outsider.AdvertiseKeys() with { SessionId = Config.SessionId }));
        Assert.Equal(SecAggFailure.NotParticipant, e.Failure);

        var directory = c.CloseAdvertising();
        var late = new SecAggSite(Config, "site-a");
        Assert.Equal(SecAggFailure.WrongPhase, Assert.Throws<SecAggException>(() => c.Receive(late.AdvertiseKeys())).Failure);

        var shares = sites.Values.Select(s => s.ShareKeys(directory)).ToList();
        Assert.Equal(SecAggFailure.InvalidMessage, Assert.Throws<SecAggException>(() => c.Receive(shares[0] with { SessionId = "study-1/round-2" })).Failure);
        Assert.Contains("sent no share for 'site-e'", Assert.Throws<SecAggException>(() => c.Receive(shares[0] with { Shares = shares[0].Shares.Take(3).ToList() })).Message);
        foreach (var s in shares) c.Receive(s);
        c.Receive(shares[1]); // a retry of the same message is accepted once
        var inboxes = c.CloseSharing();

        var inputs = Config.Participants.ToDictionary(p => p, p => sites[p].MaskInput(Input(Config.ShareIndex(p)), inboxes[p]));
        foreach (var m in inputs.Values.Take(4)) c.Receive(m);
        c.Receive(inputs["site-a"]); // retried upload: not counted twice
        var changed = inputs["site-b"] with { Masked = inputs["site-b"].Masked.Select(v => v + 1).ToArray() };
        Assert.Equal(SecAggFailure.Conflict, Assert.Throws<SecAggException>(() => c.Receive(changed)).Failure);
        Assert.Equal(SecAggFailure.InvalidMessage, Assert.Throws<SecAggException>(() => c.Receive(inputs["site-e"] with { Masked = new ulong[15] })).Failure);
        var request = c.CloseMasking();
        // site-e's input arrives after the coordinator declared it dropped: refused, so its key shares stay the only ones asked for.
        Assert.Equal(SecAggFailure.WrongPhase, Assert.Throws<SecAggException>(() => c.Receive(inputs["site-e"])).Failure);

        foreach (var s in request.Survivors) c.Receive(sites[s].Unmask(request));
        Assert.Equal(Input(1 + 2 + 3 + 4), c.Finish().Sum);
    }

    [Fact]
    public void A_site_answers_one_unmasking_request_only_and_never_reveals_both_secrets_of_a_site()
    {
        var harness = new SessionHarness { Config = Config, Inputs = Enumerable.Range(0, 5).Select(i => Input(i)).ToArray(), DropAfterSharing = ["site-e"] };
        harness.Run();
        var site = harness.Sites["site-a"];
        string[] survivors = ["site-a", "site-b", "site-c", "site-d"];
        // A coordinator that now claims site-b dropped, to get its mask key as well as its seed:
        var e = Assert.Throws<SecAggException>(() => site.Unmask(new UnmaskingRequest(Config.SessionId, ["site-a", "site-c", "site-d"], ["site-b", "site-e"])));
        Assert.Equal(SecAggFailure.Conflict, e.Failure);
        Assert.Contains("answers once only", e.Message);

        var fresh = new SessionHarness { Config = Config, Inputs = Enumerable.Range(0, 5).Select(i => Input(i)).ToArray(), DropAfterSharing = ["site-e"], DropBeforeUnmasking = [.. survivors] };
        Assert.Throws<SecAggException>(fresh.Run); // nobody answered: the harness cannot finish
        var a = fresh.Sites["site-a"];
        Assert.Contains("both as survivor and as dropped",
            Assert.Throws<SecAggException>(() => a.Unmask(new UnmaskingRequest(Config.SessionId, survivors, ["site-b", "site-e"]))).Message);
        Assert.Contains("every holder must be a survivor or dropped",
            Assert.Throws<SecAggException>(() => a.Unmask(new UnmaskingRequest(Config.SessionId, survivors, []))).Message);
        Assert.Contains("below the threshold",
            Assert.Throws<SecAggException>(() => a.Unmask(new UnmaskingRequest(Config.SessionId, ["site-a", "site-b"], ["site-c", "site-d", "site-e"]))).Message);
        // None of the refusals used up the single answer.
        var answer = a.Unmask(new UnmaskingRequest(Config.SessionId, survivors, ["site-e"]));
        Assert.Equal(survivors, answer.SeedShares.Select(s => s.Owner));
        Assert.Equal(["site-e"], answer.KeyShares.Select(s => s.Owner));
    }

    [Fact]
    public void A_tampered_share_is_detected_by_its_recipient()
    {
        var (c, sites) = Start();
        foreach (var s in sites.Values) c.Receive(s.AdvertiseKeys());
        var directory = c.CloseAdvertising();
        foreach (var s in sites.Values) c.Receive(s.ShareKeys(directory));
        var inbox = c.CloseSharing()["site-c"];
        var share = inbox.Shares[0];
        var flipped = share.Ciphertext.ToArray();
        flipped[7] ^= 1;
        var tampered = inbox with { Shares = [share with { Ciphertext = flipped }, .. inbox.Shares.Skip(1)] };
        var e = Assert.Throws<SecAggException>(() => sites["site-c"].MaskInput(Input(1), tampered));
        Assert.Equal(SecAggFailure.Inconsistent, e.Failure);
        Assert.Contains($"the share from '{share.From}' does not decrypt", e.Message);
        // The refusal consumed nothing: the genuine inbox still works.
        sites["site-c"].MaskInput(Input(1), inbox);
    }

    [Fact]
    public void A_wrong_share_revealed_at_unmasking_is_caught_by_the_commitment()
    {
        var (c, sites) = Start();
        foreach (var s in sites.Values) c.Receive(s.AdvertiseKeys());
        var directory = c.CloseAdvertising();
        foreach (var s in sites.Values) c.Receive(s.ShareKeys(directory));
        var inboxes = c.CloseSharing();
        foreach (var p in Config.Participants.Take(4)) c.Receive(sites[p].MaskInput(Input(1), inboxes[p]));
        var request = c.CloseMasking();
        var bad = sites["site-a"].Unmask(request);
        var y = bad.SeedShares[1].Y.ToArray();
        y[^1] ^= 1;
        c.Receive(bad with { SeedShares = [bad.SeedShares[0], bad.SeedShares[1] with { Y = y }, .. bad.SeedShares.Skip(2)] });
        foreach (var p in new[] { "site-b", "site-c" }) c.Receive(sites[p].Unmask(request));
        var e = Assert.Throws<SecAggException>(c.Finish);
        Assert.Equal(SecAggFailure.Inconsistent, e.Failure);
        Assert.Contains("self-mask seed of 'site-b'", e.Message);
        Assert.Contains("does not match its commitment", e.Message);
    }

    [Fact]
    public void Malformed_json_messages_name_the_problem()
    {
        var e = Assert.Throws<SecAggException>(() => SecAggJson.Deserialize<MaskedInput>("""{"session_id":"s","site_id":"a","masked":[1,2],"extra":1}"""));
        Assert.Contains("extra", e.Message);
        e = Assert.Throws<SecAggException>(() => SecAggJson.Deserialize<MaskedInput>("""{"session_id":"s","masked":[1]}"""));
        Assert.Contains("site_id", e.Message);
        e = Assert.Throws<SecAggException>(() => SecAggJson.Deserialize<AdvertiseKeys>("""{"session_id":"s","site_id":"a","cipher_public_key":"%%","mask_public_key":""}"""));
        Assert.Equal(SecAggFailure.InvalidMessage, e.Failure);
    }
}
