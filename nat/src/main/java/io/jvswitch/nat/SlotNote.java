package io.jvswitch.nat;

/**
 * What a translator's {@code beforeRouting} leaves its {@code afterRouting} for the same packet, as
 * the one long the switch's {@code ConnectionSlot} carries: a case (its kind, in the top bits) with
 * what that case needs (a connection's table reference, say) below; or, as a negative number, just
 * the verdict when afterRouting owes the packet nothing. Shared by both families' translators; the
 * kinds are each translator's own, 0 meaning none.
 */
final class SlotNote {
    static final int NONE = 0;

    private static final int KIND_SHIFT = 48;
    private static final long DETAIL_MASK = (1L << KIND_SHIFT) - 1;

    private SlotNote() {}

    /** A note that owes afterRouting nothing: just the verdict. */
    static long done(int verdict) {
        return -1L - verdict;
    }

    /** A note that afterRouting completes. */
    static long pending(int kind, long detail) {
        return ((long) kind << KIND_SHIFT) | detail;
    }

    /** The kind of a note, {@link #NONE} for a verdict or an empty slot (both negative). */
    static int kindOf(long note) {
        return note < 0 ? NONE : (int) (note >>> KIND_SHIFT);
    }

    static long detailOf(long note) {
        return note & DETAIL_MASK;
    }

    /** The verdict of a {@link #done} note. */
    static int verdictOf(long note) {
        return (int) (-1 - note);
    }
}
