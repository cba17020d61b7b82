using Mailing.Toolkit.Receiving;
using Mailing.Toolkit.Receiving.Internal;

namespace Mailing.Toolkit.Tests.Receiving;

public sealed class ImapPositionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Baseline_SeenCountAsHandledUnseenAreToHand()
    {
        var state = ImapPosition.Baseline(7, [1, 2, 4, 5, 9, 12], unseen: [5, 12], Now);

        Assert.Equal((7L, 4L), (state.UidValidity, state.LastUid));
        Assert.Equal(["9"], state.HandledIds);
    }

    [Fact]
    public void Baseline_NothingUnseen_StartsAfterTheNewestMessage()
    {
        var state = ImapPosition.Baseline(7, [3, 8], unseen: [], Now);

        Assert.Equal(8, state.LastUid);
        Assert.Empty(state.HandledIds);
    }

    [Fact]
    public void RecordHandled_OutOfOrder_KeepsTheUidAsideUntilTheGapCloses()
    {
        var known = new KnownUids(7, [11, 13, 14]);
        var state = new MailboxState { UidValidity = 7, LastUid = 10 };

        var afterNewer = ImapPosition.RecordHandled(state, 7, [13], known, Now);
        var afterOldest = ImapPosition.RecordHandled(afterNewer, 7, [11], known, Now);

        Assert.Equal(10, afterNewer.LastUid);
        Assert.Equal(["13"], afterNewer.HandledIds);
        // 12 does not exist (an expunged UID), so 11 and 13 form a run.
        Assert.Equal(13, afterOldest.LastUid);
        Assert.Empty(afterOldest.HandledIds);
    }

    [Fact]
    public void RecordHandled_ASetWithAGapAndOldUids_AdvancesOverTheRunAndKeepsTheRestAside()
    {
        var known = new KnownUids(7, [11, 12, 13, 15, 16]);
        var state = new MailboxState { UidValidity = 7, LastUid = 10 };

        // 9 is below the position already (acknowledged twice); 15 is missing from the set.
        var result = ImapPosition.RecordHandled(state, 7, [13, 11, 9, 12, 16, 12], known, Now);

        Assert.Equal(13, result.LastUid);
        Assert.Equal(["16"], result.HandledIds);
        Assert.Same(result, ImapPosition.RecordHandled(result, 7, [9, 13], known, Now));
    }

    [Fact]
    public void RecordHandled_AnotherUidValidity_LeavesThePositionAlone()
    {
        var state = new MailboxState { UidValidity = 8, LastUid = 2 };

        var result = ImapPosition.RecordHandled(state, 7, [3], new KnownUids(7, [3]), Now);

        Assert.Same(state, result);
    }

    [Fact]
    public void Compact_HandledMessagesGoneFromTheFolder_MovesThePositionUpToTheFirstOneToHand()
    {
        // 21 and 22 were moved away after handling; 23 is still to hand; 24 was handled early.
        var state = new MailboxState { UidValidity = 7, LastUid = 20, HandledIds = ["21", "22", "24"] };

        var result = ImapPosition.Compact(state, new KnownUids(7, [23, 24, 25]), Now);

        Assert.Equal(22, result.LastUid);
        Assert.Equal(["24"], result.HandledIds);
    }

    [Fact]
    public void Compact_StopsBeforeTheFirstUnhandledAndPassesEverythingWhenAllAreHandled()
    {
        var state = new MailboxState { UidValidity = 7, LastUid = 20, HandledIds = ["21", "30"] };

        var result = ImapPosition.Compact(state, new KnownUids(7, [21, 25, 30]), Now);

        Assert.Equal(21, result.LastUid);
        Assert.Equal(["30"], result.HandledIds);
        var none = ImapPosition.Compact(state, new KnownUids(7, [21, 30]), Now);
        Assert.Equal(30, none.LastUid);
        Assert.Empty(none.HandledIds);
    }

    [Fact]
    public void RecordHandled_PositionAlreadyInsideTheSnapshot_StartsAboveItAndStopsAtTheFirstOneToHand()
    {
        // The snapshot is from the last search; the position has since moved to 13 (a UID it holds) and later to 14
        // (one it does not), so only what is above the position counts.
        var known = new KnownUids(7, [11, 12, 13, 15, 16, 18]);
        var atKnown = new MailboxState { UidValidity = 7, LastUid = 13, HandledIds = ["16"] };
        var betweenKnown = new MailboxState { UidValidity = 7, LastUid = 14 };

        var closesGap = ImapPosition.RecordHandled(atKnown, 7, [15], known, Now);
        var leavesGap = ImapPosition.RecordHandled(betweenKnown, 7, [16, 20], known, Now);

        Assert.Equal(16, closesGap.LastUid);
        Assert.Empty(closesGap.HandledIds);
        Assert.Equal(14, leavesGap.LastUid);
        Assert.Equal(["16", "20"], leavesGap.HandledIds);
    }
}
