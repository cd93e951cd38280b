package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.NeighborDiscovery;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Coverage-guided fuzz test of IPv6 port security (IPv6, ICMPv6 and Neighbor Discovery from a
 * container): an IPv6 packet of any bytes, from an endpoint whose MAC is fixed. Without
 * {@code JAZZER_FUZZ} it replays its inputs as a regression test.
 *
 * <p>Properties: nothing throws; the check reads nothing past the frame and writes nothing;
 * whatever passes is from the endpoint's own link-local address or {@code ::}, is no router
 * advertisement or redirect at the first upper-layer header, and a neighbour advertisement that
 * passes is for the endpoint's own address.
 */
class Ipv6PortSecurityFuzzTest {
    static final long MAC = 0x024a_0a00_0002L;
    static final int L3 = 24; // a virtio-net header and an Ethernet header before it

    private final Ipv6PortSecurity security = new Ipv6PortSecurity();

    @FuzzTest
    void packets(byte[] packet) {
        if (packet.length < 40) {
            return; // the pipeline drops these as truncated before the check
        }
        final byte[] frame = new byte[L3 + packet.length];
        System.arraycopy(packet, 0, frame, L3, packet.length);
        final byte[] before = frame.clone();
        // Exactly the frame's bytes: a read past the end throws
        final DropReason verdict = security.check(new UnsafeBuffer(frame), L3, frame.length, MAC);
        assertTrue(Arrays.equals(before, frame), "the check writes nothing");
        if (verdict != null) {
            return;
        }
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final long high = b.getLong(L3 + 8, ByteOrder.BIG_ENDIAN);
        final long low = b.getLong(L3 + 16, ByteOrder.BIG_ENDIAN);
        assertTrue(
                (high | low) == 0
                        || (high == NeighborDiscovery.LINK_LOCAL_HIGH && low == NeighborDiscovery.linkLocalLow(MAC)),
                "passed only from its own address");
        final int payloadEnd = Math.min(frame.length, L3 + 40 + (b.getShort(L3 + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF));
        if ((frame[L3 + 6] & 0xFF) == 58 && L3 + 40 < payloadEnd) {
            final int type = frame[L3 + 40] & 0xFF;
            assertTrue(type != NeighborDiscovery.TYPE_ROUTER_ADVERTISEMENT && type != NeighborDiscovery.TYPE_REDIRECT);
            if (type == NeighborDiscovery.TYPE_NEIGHBOR_ADVERTISEMENT) {
                assertEquals(NeighborDiscovery.LINK_LOCAL_HIGH, b.getLong(L3 + 48, ByteOrder.BIG_ENDIAN));
                assertEquals(NeighborDiscovery.linkLocalLow(MAC), b.getLong(L3 + 56, ByteOrder.BIG_ENDIAN));
            }
        }
    }
}
