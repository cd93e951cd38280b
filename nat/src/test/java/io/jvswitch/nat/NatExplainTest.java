package io.jvswitch.nat;

import static io.jvswitch.nat.TestPackets.IP;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static io.jvswitch.switching.service.RoutingHook.UNROUTED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

/** What NatEngine.explain says for a trace, and that saying it changes nothing. */
class NatExplainTest {
    final long now = TimeUnit.SECONDS.toNanos(1000);
    final NatEngine nat = NatEngineTest.engine(new NatContext().conclude());
    final ConnectionSlot slot = new ConnectionSlot();

    String explain(int from, int to, UnsafeBuffer packet) {
        final byte[] before = bytes(packet);
        final String text = nat.explain(from, to, packet, IP, TestPackets.ipLength(packet), now);
        assertArrayEquals(before, bytes(packet), "the packet is left as it was");
        return text;
    }

    static byte[] bytes(UnsafeBuffer packet) {
        final byte[] copy = new byte[packet.capacity()];
        packet.getBytes(0, copy);
        return copy;
    }

    @Test
    void aNewConnectionSaysWhatItWouldOpenAndOpensNothing() {
        final UnsafeBuffer syn = TestPackets.tcp(NatEngineTest.CLIENT, 40000, NatEngineTest.SERVER, 443, SYN);
        assertEquals(
                "no tracked connection for tcp 172.19.0.4:40000 -> 10.99.0.2:443 and no published port:"
                        + " destination unchanged",
                explain(NatEngineTest.FRONTEND, UNROUTED, syn));
        assertEquals(
                "no tracked connection: would open tcp 172.19.0.4:40000 -> 10.99.0.2:443, source masqueraded as "
                        + NatEngineTest.MASQ + " with a free port",
                explain(NatEngineTest.FRONTEND, HOST_LINK, syn));
        assertEquals(0, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size(), "nothing opened");
        assertEquals(
                "no tracked connection: would open tcp 172.19.0.4:40000 -> 10.99.0.1:8080 to the published port,"
                        + " destination translated to 172.19.0.3:80",
                explain(
                        NatEngineTest.FRONTEND,
                        UNROUTED,
                        TestPackets.tcp(NatEngineTest.CLIENT, 40000, NatEngineTest.HOST, 8080, SYN)));
    }

    @Test
    void aTrackedConnectionIsNamedWithItsTranslationBothWays() {
        final UnsafeBuffer syn = TestPackets.tcp(NatEngineTest.CLIENT, 40000, NatEngineTest.SERVER, 443, SYN);
        nat.beforeRouting(NatEngineTest.FRONTEND, syn, IP, TestPackets.ipLength(syn), now, slot);
        nat.afterRouting(NatEngineTest.FRONTEND, HOST_LINK, syn, IP, TestPackets.ipLength(syn), now, slot);
        assertEquals(
                "matches the tracked connection tcp 172.19.0.4:40000 -> 10.99.0.2:443 (original direction):"
                        + " translated to 169.254.42.2:40000 -> 10.99.0.2:443",
                explain(
                        NatEngineTest.FRONTEND,
                        UNROUTED,
                        TestPackets.tcp(NatEngineTest.CLIENT, 40000, NatEngineTest.SERVER, 443, ACK)));
        assertEquals(
                "matches the tracked connection tcp 172.19.0.4:40000 -> 10.99.0.2:443 (reply direction):"
                        + " translated to 10.99.0.2:443 -> 172.19.0.4:40000",
                explain(
                        HOST_LINK,
                        UNROUTED,
                        TestPackets.tcp(NatEngineTest.SERVER, 443, NatEngineTest.MASQ, 40000, SYN | ACK)));
        assertEquals(
                "protocol 47 is not tracked: passes untranslated", explain(NatEngineTest.FRONTEND, HOST_LINK, gre()));
    }

    private static UnsafeBuffer gre() {
        final UnsafeBuffer p = TestPackets.udp(NatEngineTest.CLIENT, 1, NatEngineTest.SERVER, 2, true);
        p.putByte(IP + 9, (byte) 47);
        return p;
    }
}
