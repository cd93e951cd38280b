package io.jvswitch.nat;

import static io.jvswitch.nat.Ipv6NatEngineTest.CLIENT;
import static io.jvswitch.nat.Ipv6NatEngineTest.FRONTEND;
import static io.jvswitch.nat.Ipv6NatEngineTest.MASQ;
import static io.jvswitch.nat.Ipv6NatEngineTest.ROUTER;
import static io.jvswitch.nat.Ipv6NatEngineTest.SERVER;
import static io.jvswitch.nat.TestPackets6.IP;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT;
import static io.jvswitch.switching.service.RoutingHook.ACCEPT_TRACKED;
import static io.jvswitch.switching.service.RoutingHook.HOST_LINK;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.ThreadMXBean;
import io.jvswitch.packet.Icmpv6Packet;
import io.jvswitch.switching.service.ConnectionSlot;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

/**
 * IPv6 masquerade allocates nothing per packet once compiled: new connections (address ids taken),
 * their packets translated both ways, ICMPv6 errors about them, and their expiry (ids given back).
 */
class Ipv6NatAllocationTest {
    static final int WARM_UP = 20_000;
    static final int MEASURED = 10_000;
    static final int FLOWS = 256;

    final NatEngine nat = Ipv6NatEngineTest.engine(
            new NatContext().tableCapacity(4096).endpointLimit(1024).conclude());
    final Ipv6NatEngine nat6 = nat.ipv6();
    final ConnectionSlot slot = new ConnectionSlot();
    // Templates per flow (source port 1024 + i), copied into the work buffer before each use:
    // translation rewrites in place.
    final UnsafeBuffer[] syns = new UnsafeBuffer[FLOWS];
    final UnsafeBuffer[] synAcks = new UnsafeBuffer[FLOWS];
    final UnsafeBuffer[] errors = new UnsafeBuffer[FLOWS];
    final UnsafeBuffer[] echoes = new UnsafeBuffer[FLOWS];
    final UnsafeBuffer work;
    long now = TimeUnit.SECONDS.toNanos(1000);
    int unexpected;
    /** The flow of the next round: on across loops, so every flow's connections have expired when it comes again. */
    int next;

    Ipv6NatAllocationTest() {
        int largest = 0;
        for (int i = 0; i < FLOWS; i++) {
            final int port = 1024 + i;
            syns[i] = TestPackets6.tcp(CLIENT, port, SERVER, 443, SYN);
            synAcks[i] = TestPackets6.tcp(SERVER, 443, MASQ, port, SYN | ACK);
            final UnsafeBuffer sent = TestPackets6.tcp(MASQ, port, SERVER, 443, SYN);
            errors[i] = TestPackets6.icmpError(
                    ROUTER, MASQ, Icmpv6Packet.TYPE_PACKET_TOO_BIG, 0, sent, TestPackets6.ipLength(sent));
            echoes[i] = TestPackets6.echo(CLIENT, SERVER, Icmpv6Packet.TYPE_ECHO_REQUEST, port);
            largest = Math.max(largest, errors[i].capacity());
        }
        work = new UnsafeBuffer(new byte[largest]);
    }

    @Test
    void masqueradeAllocatesNothingPerPacket() {
        final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5 && best > 0; round++) {
            loop(WARM_UP);
            final long before = threads.getCurrentThreadAllocatedBytes();
            loop(MEASURED);
            best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertEquals(0, unexpected, "packets not translated as expected");
        assertEquals(0, best, "bytes allocated over " + MEASURED + " rounds of packets");
    }

    private void loop(int iterations) {
        for (int i = 0; i < iterations; i++) {
            final int flow = next;
            next = next + 1 == FLOWS ? 0 : next + 1;
            expect(ACCEPT, route(FRONTEND, HOST_LINK, syns[flow]));
            expect(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, synAcks[flow]));
            expect(ACCEPT_TRACKED, route(HOST_LINK, FRONTEND, errors[flow]));
            expect(ACCEPT, route(FRONTEND, HOST_LINK, echoes[flow]));
            if (flow == FLOWS - 1) {
                now += TimeUnit.SECONDS.toNanos(200); // every connection expires: ids and slots given back
                nat.expire(now, 8192);
            }
        }
    }

    private int route(int from, int to, UnsafeBuffer template) {
        work.putBytes(0, template, 0, template.capacity());
        final int length = template.capacity() - IP;
        final int verdict = nat6.beforeRouting(from, work, IP, length, now, slot);
        return nat6.afterRouting(from, to, work, IP, length, now, slot) == ACCEPT ? verdict : -1;
    }

    private void expect(int expected, int verdict) {
        if (verdict != expected) {
            unexpected++;
        }
    }
}
