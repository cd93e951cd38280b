package io.jvswitch.tap;

import java.util.Arrays;

/**
 * The {@link TapPort}s a {@link UringReadySet} watches, by slot, and the user data that names what
 * each completion of its ring belongs to.
 *
 * <p>A slot's port changes under the ring: a port removed still has its read or poll (and its
 * writes) in flight, and their completions arrive after another port took the slot. So every
 * {@link #put} starts a new generation of the slot, carried in the user data of the port's read or
 * poll, and a completion counts for the port only while the generations match ({@link #portOf}).
 *
 * <p>User data: the kind (the set's: a port's read or poll, a write, ...) in the top 4 bits, 24
 * bits of the generation from bit 32, the slot (or a watched descriptor) below. A write's user data
 * is {@link RingWrites}'s own (the same kind bits, 12 bits of the generation).
 *
 * <p>Used by the one dataplane thread; grows with the highest slot, nothing allocated per
 * completion.
 */
final class WatchedPorts {
    private static final int KIND_SHIFT = RingWrites.KIND_SHIFT;
    private static final int GENERATION_MASK = 0xFF_FFFF;

    private TapPort[] ports = new TapPort[64];
    private int[] generations = new int[64];

    /** User data that names no port: {@code fd} for a descriptor's poll, 0 otherwise. */
    static long userData(int kind, int fd) {
        return userData(kind, 0, fd);
    }

    private static long userData(int kind, int generation, int slotOrFd) {
        return ((long) kind << KIND_SHIFT)
                | ((long) (generation & GENERATION_MASK) << 32)
                | Integer.toUnsignedLong(slotOrFd);
    }

    static int kind(long data) {
        return (int) (data >>> KIND_SHIFT);
    }

    /** The slot, or the descriptor of a descriptor's poll. */
    static int slotOrFd(long data) {
        return (int) data;
    }

    /**
     * Puts {@code tap} in {@code slot} under a new generation.
     *
     * @return the user data of the port's completions of {@code kind}
     */
    long put(int slot, TapPort tap, int kind) {
        growTo(slot);
        final int generation = ++generations[slot];
        ports[slot] = tap;
        return userData(kind, generation, slot);
    }

    /** The user data of the completions of {@code kind} of the port now in {@code slot}: what a removal names. */
    long userDataOf(int slot, int kind) {
        return userData(kind, generations[slot], slot);
    }

    /** The port a port's read or poll completion belongs to, or null: its port left the slot since. */
    TapPort portOf(long data) {
        final int slot = slotOrFd(data);
        final int generation = (int) (data >>> 32) & GENERATION_MASK;
        // the user data holds 24 bits of the generation: compare those, or a slot re-added 2^24
        // times would never match its port again
        return slot < ports.length && (generations[slot] & GENERATION_MASK) == generation ? ports[slot] : null;
    }

    /** The port in {@code slot}, or null. */
    TapPort at(int slot) {
        return slot < ports.length ? ports[slot] : null;
    }

    int generation(int slot) {
        return generations[slot];
    }

    /** Empties {@code slot}; completions still in flight for its port find it gone. */
    void remove(int slot) {
        ports[slot] = null;
    }

    /**
     * Starts a new generation of {@code slot} with its port still in it: completions armed before
     * are no longer the port's (their buffers go straight back), while it stays watched.
     */
    void outdate(int slot) {
        generations[slot]++;
    }

    /** Slots below this may hold a port. */
    int capacity() {
        return ports.length;
    }

    private void growTo(int slot) {
        if (slot < 0) {
            throw new IllegalArgumentException("negative slot " + slot);
        }
        if (slot >= ports.length) {
            final int size = Integer.highestOneBit(slot) << 1;
            ports = Arrays.copyOf(ports, size);
            generations = Arrays.copyOf(generations, size);
        }
    }
}
