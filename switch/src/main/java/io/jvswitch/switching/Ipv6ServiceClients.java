package io.jvswitch.switching;

import io.jvswitch.switching.service.GatewayDatagramService;

/**
 * The IPv6 senders of the gateway's service, each named by a handle the service can treat as a
 * client address ({@link GatewayDatagramService#isIpv6Client}): the service keys its per-client
 * state and its deferred answers by an int, and an IPv6 address does not fit one.
 *
 * <p>A direct-mapped table of {@link #SLOTS} entries, hashed by network and address: a client keeps
 * its handle while it keeps its slot, so the service's per-client shares still apply to it. A new
 * client taking an occupied slot bumps the slot's generation, which is part of the handle, so a late
 * answer to the previous client is recognised as stale and dropped, never sent to the new one.
 * Bounded by construction; dataplane thread only; allocation-free after construction.
 */
final class Ipv6ServiceClients {
    static final int SLOTS = 4096;
    private static final int SLOT_BITS = 12;
    /** Bits of a handle below the 240.0.0.0/4 tag: the slot, then the generation. */
    private static final int GENERATION_BITS = 28 - SLOT_BITS;

    private final int[] network = new int[SLOTS];
    private final long[] high = new long[SLOTS];
    private final long[] low = new long[SLOTS];
    private final int[] generation = new int[SLOTS];
    private final boolean[] used = new boolean[SLOTS];

    /** The handle of the client {@code high:low} on network {@code networkId}, assigning a slot if needed. */
    int handle(int networkId, long clientHigh, long clientLow) {
        final int slot = slotFor(networkId, clientHigh, clientLow);
        if (!used[slot] || network[slot] != networkId || high[slot] != clientHigh || low[slot] != clientLow) {
            used[slot] = true;
            network[slot] = networkId;
            high[slot] = clientHigh;
            low[slot] = clientLow;
            generation[slot] = (generation[slot] + 1) & ((1 << GENERATION_BITS) - 1);
        }
        return GatewayDatagramService.IPV6_CLIENT_TAG | (generation[slot] << SLOT_BITS) | slot;
    }

    /** The slot {@code handle} still names on {@code networkId}, or -1 if it is stale or not a handle. */
    int slot(int handle, int networkId) {
        if (!GatewayDatagramService.isIpv6Client(handle)) {
            return -1;
        }
        final int slot = handle & (SLOTS - 1);
        final int gen = (handle >>> SLOT_BITS) & ((1 << GENERATION_BITS) - 1);
        return used[slot] && generation[slot] == gen && network[slot] == networkId ? slot : -1;
    }

    long high(int slot) {
        return high[slot];
    }

    long low(int slot) {
        return low[slot];
    }

    private static int slotFor(int networkId, long clientHigh, long clientLow) {
        long h = clientHigh * 0x9E3779B97F4A7C15L + clientLow;
        h = (h ^ (h >>> 29)) * 0xBF58476D1CE4E5B9L + networkId;
        return (int) (h ^ (h >>> 32)) & (SLOTS - 1);
    }
}
