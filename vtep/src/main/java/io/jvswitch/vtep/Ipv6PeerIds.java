package io.jvswitch.vtep;

import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Ids for the IPv6 peers of an IPv6 underlay. The tunnel's tables (peers, the remote-MAC table,
 * the receive path) name a VTEP by an int, which an IPv4 address is; an IPv6 peer gets an id from
 * here instead: {@code 0xF0000000 | n}, in 240.0.0.0/4, so no id is ever an IPv4 peer's address.
 * An address keeps its id for the underlay's life (a peer removed and added again gets it back).
 *
 * <p>Written on the control thread, read on the dataplane thread: the arrays are replaced whole
 * (copy on write, published through a volatile), so a reader never sees a half-added peer, and
 * {@link #idOf(long, long)} allocates nothing. Bounded by {@link VtepContext#MAX_PEER_LIMIT}
 * addresses per underlay; a lookup is a scan, as {@link TunnelPort#peerOf} is.
 */
public final class Ipv6PeerIds {
    static final int TAG = 0xF000_0000;

    private record Table(long[] high, long[] low) {}

    private volatile Table table = new Table(new long[0], new long[0]);

    /** The id of {@code address}, assigning the next one to a new address. Control thread. */
    synchronized int assign(Inet6Address address) {
        final ByteBuffer b = ByteBuffer.wrap(address.getAddress());
        final long high = b.getLong();
        final long low = b.getLong();
        final int known = idOf(high, low);
        if (known != 0) {
            return known;
        }
        final Table current = table;
        final int n = current.high.length;
        if (n >= VtepContext.MAX_PEER_LIMIT) {
            throw new IllegalStateException("the underlay has had " + n + " IPv6 peers, the limit");
        }
        final long[] highs = Arrays.copyOf(current.high, n + 1);
        final long[] lows = Arrays.copyOf(current.low, n + 1);
        highs[n] = high;
        lows[n] = low;
        table = new Table(highs, lows);
        return TAG | (n + 1);
    }

    /** The id of the address {@code high:low}, or 0 (never a peer) when it was never assigned. Any thread. */
    int idOf(long high, long low) {
        final Table t = table;
        for (int i = 0; i < t.high.length; i++) {
            if (t.high[i] == high && t.low[i] == low) {
                return TAG | (i + 1);
            }
        }
        return 0;
    }

    /** The high half of the address with id {@code id} (one {@link #assign} returned). Any thread. */
    long high(int id) {
        return table.high[(id & ~TAG) - 1];
    }

    /** The low half of the address with id {@code id}. Any thread. */
    long low(int id) {
        return table.low[(id & ~TAG) - 1];
    }

    /** The id of {@code address}, or 0; for the netty receive path, which has an address object anyway. */
    int idOf(Inet6Address address) {
        final ByteBuffer b = ByteBuffer.wrap(address.getAddress());
        return idOf(b.getLong(), b.getLong());
    }
}
