package io.jvswitch.nat;

import static io.jvswitch.nat.Ipv6NatEngineTest.CLIENT;
import static io.jvswitch.nat.Ipv6NatEngineTest.FRONTEND;
import static io.jvswitch.nat.Ipv6NatEngineTest.HOST;
import static io.jvswitch.nat.Ipv6NatEngineTest.MASQ;
import static io.jvswitch.nat.Ipv6NatEngineTest.SERVER;
import static io.jvswitch.nat.TestPackets6.IP;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static io.jvswitch.switching.service.RoutingHook.UNROUTED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

/** What Ipv6NatEngine.explain says for a trace of a synthetic IPv6 packet, and that saying it changes nothing. */
class Ipv6NatExplainTest {
    final long now = TimeUnit.SECONDS.toNanos(1000);
    final NatEngine nat = Ipv6NatEngineTest.engine(new NatContext().conclude());
    final Ipv6NatEngine nat6 = nat.ipv6();
    final ConnectionSlot slot = new ConnectionSlot();

    String explain(int from, int to, UnsafeBuffer packet) {
        final byte[] before = NatExplainTest.bytes(packet);
        final String text = nat6.explain(from, to, packet, IP, TestPackets6.ipLength(packet), now);
        assertArrayEquals(before, NatExplainTest.bytes(packet), "the packet is left as it was");
        return text;
    }

    @Test
    void aNewConnectionSaysWhatItWouldOpenAndOpensNothing() {
        final UnsafeBuffer syn = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN);
        assertEquals(
                "no tracked connection for tcp [fd00:20::5]:40000 -> [2001:db8::2]:443 and no published port:"
                        + " destination unchanged",
                explain(FRONTEND, UNROUTED, syn));
        assertEquals(
                "no tracked connection: would open tcp [fd00:20::5]:40000 -> [2001:db8::2]:443, source masqueraded as "
                        + MASQ + " with a free port",
                explain(FRONTEND, HOST_LINK, syn));
        assertEquals(0, nat.connections(NatEngine.ALL_NETWORKS, now, 10).size(), "nothing opened");
        assertEquals(
                "no tracked connection: would open tcp [fd00:20::5]:40000 -> [fd99::1]:8080 to the published port,"
                        + " destination translated to [fd00:20::6]:80",
                explain(FRONTEND, UNROUTED, TestPackets6.tcp(CLIENT, 40000, HOST, 8080, SYN)));
        assertEquals(
                "no tracked connection for tcp [fd00:20::5]:40000 -> [fd99::1]:22: none to open, passes untranslated",
                explain(FRONTEND, HOST_LINK, TestPackets6.tcp(CLIENT, 40000, HOST, 22, SYN)),
                "the host's own address is not masqueraded");
    }

    @Test
    void aTrackedConnectionIsNamedWithItsTranslationBothWays() {
        final UnsafeBuffer syn = TestPackets6.tcp(CLIENT, 40000, SERVER, 443, SYN);
        nat6.beforeRouting(FRONTEND, syn, IP, TestPackets6.ipLength(syn), now, slot);
        nat6.afterRouting(FRONTEND, HOST_LINK, syn, IP, TestPackets6.ipLength(syn), now, slot);
        assertEquals(
                "matches the tracked connection tcp [fd00:20::5]:40000 -> [2001:db8::2]:443 (original direction):"
                        + " translated to [fd4a:5653::1]:40000 -> [2001:db8::2]:443",
                explain(FRONTEND, UNROUTED, TestPackets6.tcp(CLIENT, 40000, SERVER, 443, ACK)));
        assertEquals(
                "matches the tracked connection tcp [fd00:20::5]:40000 -> [2001:db8::2]:443 (reply direction):"
                        + " translated to [2001:db8::2]:443 -> [fd00:20::5]:40000",
                explain(HOST_LINK, UNROUTED, TestPackets6.tcp(SERVER, 443, MASQ, 40000, SYN | ACK)));
    }

    @Test
    void neighborDiscoveryIsNotTracked() {
        assertEquals(
                "ICMPv6 type 135 is not tracked: passes untranslated",
                explain(
                        FRONTEND,
                        HOST_LINK,
                        TestPackets6.echo(CLIENT, SERVER, Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION, 0)));
    }
}
