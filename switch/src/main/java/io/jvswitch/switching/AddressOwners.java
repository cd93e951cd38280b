package io.jvswitch.switching;

/**
 * Who holds each entry of an address book and since when, with the rules of learning a remote
 * address from a tunnel: one implementation for both families ({@link AddressBook} keeps IPv4 keys,
 * {@link Ipv6AddressBook} IPv6 ones, each in its own open-addressing table whose slots index these
 * arrays).
 *
 * <p>An entry is the control plane's ({@link #CONTROL_PLANE}: this host's endpoints and gateway), a
 * remote endpoint programmed from the cluster store ({@link #REMOTE}), or learned: then its owner is
 * the tunnel port's slot, and it remembers the peer it came from (the VTEP's underlay address) and
 * when it was last heard of. Only that peer may change it until it ages ({@code agingNanos} without
 * being heard of again); an aged entry answers nothing and anyone may take it over. Learning never
 * replaces the control plane's entries or the cluster's. Refusals are counted ({@link
 * #learnRefused}). Reads and learning allocate nothing; only a rehash (the book growing, a removal,
 * a sweep) allocates new arrays.
 *
 * <p>Overflow policy of a full book: learning a new address is refused ({@link #REFUSED_FULL},
 * counted) unless a sweep, a rehash that drops the learned entries past the aging time, frees a
 * place first. A sweep is O(book) work and allocation, and learning runs on the packet path (one
 * attempt per ARP or neighbor discovery frame from a tunnel), so a book sweeps only when one of its
 * learned entries can have aged since the last sweep ({@link #sweepDue}): each sweep records a lower
 * bound on when that can happen, the aging time after the oldest learned entry it kept was last
 * heard of (after the sweep itself when it kept none). The bound holds until the next sweep: entries
 * learned later are heard of at or after the sweep, hearing of one again only makes it younger, and
 * removals only remove. So a full book sweeps at most once per aging time however many learn
 * attempts it refuses (a sweep that frees nothing, its entries heard of again meanwhile, only moves
 * the bound on), and refused attempts in between cost a lookup and allocate nothing. Until its first
 * sweep a book has no bound: its first full-book learn attempt sweeps.
 */
final class AddressOwners {
    static final int CONTROL_PLANE = -1;
    /** A remote endpoint the control plane programmed from the cluster store (not learned, never aged). */
    static final int REMOTE = -2;
    /** What learning an address answers. */
    static final int LEARNED = 0;

    static final int REFUSED_LOCAL = 1;
    static final int REFUSED_OTHER_PEER = 2;
    static final int REFUSED_FULL = 3;
    static final int IGNORED = 4;
    private static final long MULTICAST_BIT = 0x0100_0000_0000L;

    private final long agingNanos;
    private long[] macs;
    /** The tunnel port an entry was learned on, or {@link #CONTROL_PLANE} or {@link #REMOTE}. */
    private int[] owners;
    /** For a learned entry: the peer it came from, and when it was last heard of. */
    private int[] origins;

    private long[] heardAt;
    /** The arrays a rehash moves entries from ({@link #reallocate}), null otherwise. */
    private long[] oldMacs;

    private int[] oldOwners;
    private int[] oldOrigins;
    private long[] oldHeard;
    /** Whether the rehash under way is a sweep. */
    private boolean sweeping;
    /** The sweep's time, and the age then of the oldest learned entry it has kept so far. */
    private long sweepNanos;

    private long oldestKeptAge;
    /** Whether a sweep has run: until then there is no {@link #sweepNotBefore}. */
    private boolean swept;
    /** No learned entry can be past the aging time until after this time (see the class comment). */
    private long sweepNotBefore;
    /** Learning refused: a claim on the control plane's address or another peer's, or the book full. */
    long learnRefused;
    /** Sweeps of the full book for aged entries. */
    long fullSweeps;

    AddressOwners(int capacity, long agingNanos) {
        this.agingNanos = agingNanos;
        allocate(capacity);
    }

    long mac(int i) {
        return macs[i];
    }

    boolean isControlPlane(int i) {
        return owners[i] == CONTROL_PLANE;
    }

    boolean isRemote(int i) {
        return owners[i] == REMOTE;
    }

    /** Whether entry {@code i} was learned on tunnel port {@code slot}. */
    boolean learnedOn(int i, int slot) {
        return owners[i] == slot;
    }

    /**
     * The MAC entry {@code i} answers with at {@code nowNanos}: a learned entry not heard of within
     * the aging time answers nothing (-1), so the question travels to the owner.
     */
    long answer(int i, long nowNanos) {
        return owners[i] >= 0 && nowNanos - heardAt[i] > agingNanos ? -1 : macs[i];
    }

    /** Whether learning {@code mac} can tell anything: a multicast MAC is nobody's. */
    static boolean learnable(long mac) {
        return (mac & MULTICAST_BIT) == 0;
    }

    /**
     * The learning rules for an address already in the book at {@code i}, heard of again from tunnel
     * port {@code slot} and peer {@code origin}; with {@code apply} false nothing changes (a trace).
     */
    int relearn(int i, long mac, int slot, int origin, long nowNanos, boolean apply) {
        if (owners[i] < 0) {
            // The control plane's, local or programmed from the cluster store: never replaced by
            // learning. The same MAC is no false claim: another host's router speaks for the
            // gateway address all hosts of an overlay share.
            return macs[i] == mac ? IGNORED : refuse(REFUSED_LOCAL, apply);
        }
        final boolean fresh = nowNanos - heardAt[i] <= agingNanos;
        if (fresh && (origins[i] != origin || owners[i] != slot)) {
            // Another peer repeating the same MAC says nothing false, but takes nothing over.
            return macs[i] == mac ? IGNORED : refuse(REFUSED_OTHER_PEER, apply);
        }
        if (apply) {
            set(i, mac, slot, origin, nowNanos);
        }
        return LEARNED;
    }

    int refuse(int why, boolean apply) {
        if (apply) {
            learnRefused++;
        }
        return why;
    }

    void set(int i, long mac, int owner, int origin, long heard) {
        macs[i] = mac;
        owners[i] = owner;
        origins[i] = origin;
        heardAt[i] = heard;
    }

    /**
     * Whether sweeping the full book at {@code nowNanos} can free anything: before the first sweep
     * always, after it only once {@link #sweepNotBefore} has passed (a time difference, as nanoTime
     * values wrap).
     */
    boolean sweepDue(long nowNanos) {
        return !swept || nowNanos - sweepNotBefore > 0;
    }

    /**
     * Whether entry {@code i} is a learned one past the aging time at {@code nowNanos}: what a sweep
     * then would drop. For a trace, which must answer what learning would without sweeping.
     */
    boolean agedLearned(int i, long nowNanos) {
        return owners[i] >= 0 && nowNanos - heardAt[i] > agingNanos;
    }

    /**
     * Starts a rehash: fresh arrays of {@code capacity}, the old ones kept for {@link #move}. With
     * {@code sweep}, it is a sweep at {@code nowNanos}: learned entries past the aging time are not
     * kept ({@link #keeps}) and {@link #endRehash} records the next sweep's bound.
     */
    void reallocate(int capacity, boolean sweep, long nowNanos) {
        oldMacs = macs;
        oldOwners = owners;
        oldOrigins = origins;
        oldHeard = heardAt;
        sweeping = sweep;
        sweepNanos = nowNanos;
        oldestKeptAge = 0;
        allocate(capacity);
    }

    /**
     * Whether the rehash keeps old entry {@code i}: not when it belongs to {@code withoutOwner}, nor,
     * in a sweep, when it is a learned entry past the aging time.
     */
    boolean keeps(int i, int withoutOwner) {
        return oldOwners[i] != withoutOwner
                && !(sweeping && oldOwners[i] >= 0 && sweepNanos - oldHeard[i] > agingNanos);
    }

    void move(int from, int to) {
        if (sweeping && oldOwners[from] >= 0) {
            oldestKeptAge = Math.max(oldestKeptAge, sweepNanos - oldHeard[from]);
        }
        set(to, oldMacs[from], oldOwners[from], oldOrigins[from], oldHeard[from]);
    }

    void endRehash() {
        if (sweeping) {
            // The oldest learned entry kept ages first; one heard of after the sweep ages later.
            sweepNotBefore = sweepNanos - oldestKeptAge + agingNanos;
            swept = true;
            sweeping = false;
            fullSweeps++;
        }
        oldMacs = null;
        oldOwners = null;
        oldOrigins = null;
        oldHeard = null;
    }

    private void allocate(int capacity) {
        macs = new long[capacity];
        owners = new int[capacity];
        origins = new int[capacity];
        heardAt = new long[capacity];
    }
}
