package io.jvswitch.switching;

import io.jvswitch.switching.capture.CapturePoint;
import io.jvswitch.switching.capture.CaptureRing;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;

import java.util.Arrays;

/**
 * Which ports are being captured at which point, for which sessions, and the ring the copies go
 * to. Per-slot session masks make the packet path's cost a load and a compare when no capture is
 * active. Owned by the dataplane thread; sessions are started and stopped by commands.
 */
final class CaptureTaps {
    /** What one capture session wants. */
    record Session(int networkId, int[] slots, int pointsMask, int snapLength) {
        boolean covers(int slot, int slotNetworkId) {
            if (slots != null) {
                for (int s : slots) {
                    if (s == slot) {
                        return true;
                    }
                }
                return false;
            }
            return networkId < 0 || networkId == slotNetworkId;
        }
    }

    final int[] rx;
    final int[] tx;
    final int[] drop;
    final int[] preNat;
    final int[] postNat;
    final int[] dns;
    final int[] encap;
    final int[] decap;
    private final Session[] sessions = new Session[CaptureRing.MAX_SESSIONS];
    final long[] captured = new long[CaptureRing.MAX_SESSIONS];
    final long[] ringDrops = new long[CaptureRing.MAX_SESSIONS];
    /** Since the daemon started: copies made, and copies not made because the ring was full. */
    long totalCopied;

    long totalRingDrops;
    /** Whether any session captures DNS: a deferred answer looks up its client's port only then. */
    boolean dnsArmed;

    private final CaptureRing ring;
    private final NanoClock clock;
    private long epochOffsetNanos;

    CaptureTaps(int maxPorts, CaptureRing ring, NanoClock clock) {
        this.rx = new int[maxPorts];
        this.tx = new int[maxPorts];
        this.drop = new int[maxPorts];
        this.preNat = new int[maxPorts];
        this.postNat = new int[maxPorts];
        this.dns = new int[maxPorts];
        this.encap = new int[maxPorts];
        this.decap = new int[maxPorts];
        this.ring = ring;
        this.clock = clock;
    }

    CaptureRing ring() {
        return ring;
    }

    /** Starts a session; returns its id (0..7). */
    int start(Session session, PortTable table, long nowNanos) {
        if (ring == null) {
            throw new IllegalStateException("capture is not enabled in this dataplane");
        }
        for (int id = 0; id < sessions.length; id++) {
            if (sessions[id] == null) {
                sessions[id] = session;
                captured[id] = 0;
                ringDrops[id] = 0;
                epochOffsetNanos = System.currentTimeMillis() * 1_000_000L - nowNanos;
                recompute(table);
                return id;
            }
        }
        throw new IllegalStateException("too many captures running (at most " + CaptureRing.MAX_SESSIONS + ")");
    }

    void stop(int id, PortTable table) {
        sessions[id] = null;
        recompute(table);
    }

    /** Recomputes every slot's masks: after a session change, or a port plugged or unplugged. */
    void recompute(PortTable table) {
        Arrays.fill(rx, 0);
        Arrays.fill(tx, 0);
        Arrays.fill(drop, 0);
        Arrays.fill(preNat, 0);
        Arrays.fill(postNat, 0);
        Arrays.fill(dns, 0);
        Arrays.fill(encap, 0);
        Arrays.fill(decap, 0);
        dnsArmed = false;
        for (int slot = 0; slot < table.capacity(); slot++) {
            if (table.ports[slot] == null) {
                continue;
            }
            for (int id = 0; id < sessions.length; id++) {
                final Session s = sessions[id];
                if (s != null && s.covers(slot, table.domains[slot].id)) {
                    final int bit = 1 << id;
                    if ((s.pointsMask & CapturePoint.RX.bit()) != 0) {
                        rx[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.TX.bit()) != 0) {
                        tx[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.DROP.bit()) != 0) {
                        drop[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.PRE_NAT.bit()) != 0) {
                        preNat[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.POST_NAT.bit()) != 0) {
                        postNat[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.ENCAP.bit()) != 0) {
                        encap[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.DECAP.bit()) != 0) {
                        decap[slot] |= bit;
                    }
                    if ((s.pointsMask & CapturePoint.DNS.bit()) != 0) {
                        dns[slot] |= bit;
                        dnsArmed = true;
                    }
                }
            }
        }
    }

    /** The sessions that want {@code point} at {@code slot}, as a bit mask. */
    int mask(CapturePoint point, int slot) {
        return switch (point) {
            case RX -> rx[slot];
            case TX -> tx[slot];
            case DROP -> drop[slot];
            case PRE_NAT -> preNat[slot];
            case POST_NAT -> postNat[slot];
            case DNS -> dns[slot];
            case ENCAP -> encap[slot];
            case DECAP -> decap[slot];
        };
    }

    /**
     * Copies the Ethernet frame into the ring for every session in {@code mask}; counts what did not
     * fit. Reads the clock per copy (not the duty cycle's time) so a capture orders frames truly.
     */
    void copy(int mask, int slot, CapturePoint point, int reason, DirectBuffer buffer, int offset, int length) {
        final long nowNanos = clock.nanoTime();
        int snap = 0;
        for (int m = mask; m != 0; m &= m - 1) {
            snap = Math.max(snap, sessions[Integer.numberOfTrailingZeros(m)].snapLength);
        }
        final boolean ok =
                ring.offer(mask, nowNanos + epochOffsetNanos, slot, point, reason, buffer, offset, length, snap);
        if (ok) {
            totalCopied++;
        } else {
            totalRingDrops++;
        }
        for (int m = mask; m != 0; m &= m - 1) {
            final int id = Integer.numberOfTrailingZeros(m);
            if (ok) {
                captured[id]++;
            } else {
                ringDrops[id]++;
            }
        }
    }
}
