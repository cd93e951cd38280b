package io.jvswitch.dns;

import java.util.HashMap;
import java.util.Map;

/**
 * Who holds how much of one bounded resource (queries in flight, TCP connections), by network and by
 * client address within a network, so that one network, or one container, cannot take it all: a
 * taker already holding its network's share, or its own share, is refused. The global bound stays
 * with the caller. Used on the DNS event loop only: not thread-safe. Entries exist only while
 * something is held, so the maps are bounded by the resource's own bound.
 */
final class FairShares {
    /** What {@link #take} decided. */
    enum Verdict {
        GRANTED,
        NETWORK_SHARE_FULL,
        CLIENT_SHARE_FULL
    }

    private final int perNetwork;
    private final int perClient;
    private final Map<Integer, Integer> byNetwork = new HashMap<>();
    private final Map<Long, Integer> byClient = new HashMap<>();

    FairShares(int perNetwork, int perClient) {
        if (perNetwork < 1 || perClient < 1) {
            throw new IllegalArgumentException("shares must be at least 1");
        }
        this.perNetwork = perNetwork;
        this.perClient = perClient;
    }

    /** Takes one unit for the client on the network, unless either is at its share. */
    Verdict take(int networkId, int clientIp) {
        final int network = byNetwork.getOrDefault(networkId, 0);
        if (network >= perNetwork) {
            return Verdict.NETWORK_SHARE_FULL;
        }
        final long client = clientKey(networkId, clientIp);
        final int own = byClient.getOrDefault(client, 0);
        if (own >= perClient) {
            return Verdict.CLIENT_SHARE_FULL;
        }
        byNetwork.put(networkId, network + 1);
        byClient.put(client, own + 1);
        return Verdict.GRANTED;
    }

    /** Gives back one unit taken with {@link #take}. */
    void give(int networkId, int clientIp) {
        byNetwork.computeIfPresent(networkId, (k, n) -> n > 1 ? n - 1 : null);
        byClient.computeIfPresent(clientKey(networkId, clientIp), (k, n) -> n > 1 ? n - 1 : null);
    }

    int heldBy(int networkId) {
        return byNetwork.getOrDefault(networkId, 0);
    }

    private static long clientKey(int networkId, int clientIp) {
        return ((long) networkId << 32) | (clientIp & 0xFFFF_FFFFL);
    }
}
