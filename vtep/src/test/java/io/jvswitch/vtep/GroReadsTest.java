package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.TcpPacket;
import io.jvswitch.switching.port.Port;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * The underlay's own receive with UDP GRO, on real sockets over loopback (127.0.0.1 and 127.0.0.2,
 * both local on Linux): a super-frame sent with UDP GSO reaches the other VTEP as one coalesced
 * read, which is split by the control message's segment size and comes out whole; datagrams from
 * a stranger and a truncated one are dropped and counted; the netty read (GRO off) still works.
 * The test thread plays the dataplane.
 */
class GroReadsTest {
    private static final int LO_A = 0x7F00_0001;
    private static final int LO_B = 0x7F00_0002;
    private static final int VNI = 4242;

    private Underlay ua;
    private Underlay ub;

    @AfterEach
    void close() {
        if (ua != null) {
            ua.close();
        }
        if (ub != null) {
            ub.close();
        }
    }

    private void open(boolean groAtB) throws Exception {
        final int port;
        try (DatagramChannel probe = DatagramChannel.open()) {
            probe.bind(new InetSocketAddress("127.0.0.1", 0));
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        ua = new Underlay(new VtepContext().localAddress(LO_A).udpPort(port).conclude());
        ub = new Underlay(new VtepContext()
                .localAddress(LO_B)
                .udpPort(port)
                .udpGro(groAtB)
                .conclude());
    }

    @Test
    void aSuperFrameSentWithGsoIsReadAsOneCoalescedReadAndComesOutWhole() throws Exception {
        open(true);
        final TunnelPort a = ua.openTunnel("vx-a", VNI, 1450);
        final TunnelPort b = ub.openTunnel("vx-b", VNI, 1450);
        a.addPeer(LO_B);
        b.addPeer(LO_A);
        final byte[] sent = VtepFrames.tcpSuperFrame(20_000, 1448, TcpPacket.ACK | TcpPacket.PSH);
        assertEquals(Port.TX_OK, a.transmit(new UnsafeBuffer(sent), 0, sent.length));
        ua.doWork(0, false);

        final byte[] payload = receivePayload(b, 20_000);
        assertArrayEquals(TunnelPortTest.payloadOf(sent), payload, "the payload, in order, whole");
        final GroReads reads = ub.groReads();
        assertNotNull(reads);
        assertTrue(reads.coalescedReads() >= 1, "at least one read carried a GRO segment size");
        assertEquals(0, reads.readErrors());
        assertTrue(b.counters().coalescedSegments() > 1, "and the tunnel joined the segments again");
        assertEquals(0, reads.buffersInUse(), "every datagram's reference to its read buffer was given back");
        // a GSO send's datagrams carry the outer checksum the kernel verified, and are counted so
        assertEquals(
                b.counters().rxFrames(),
                b.counters().rxOuterChecksummed(),
                b.counters().rxFrames() + " frames");
        assertEquals(0, b.counters().rxOuterChecksumNotSeen());

        // a lone datagram's checksum is not visible through the socket: counted as not seen
        final byte[] small = VtepFrames.tcpSuperFrame(100, 1448, TcpPacket.ACK | TcpPacket.PSH);
        assertEquals(Port.TX_OK, a.transmit(new UnsafeBuffer(small), 0, small.length));
        ua.doWork(0, false);
        assertArrayEquals(TunnelPortTest.payloadOf(small), receivePayload(b, 100));
        assertEquals(1, b.counters().rxOuterChecksumNotSeen());
    }

    @Test
    void strangersAndTruncatedDatagramsAreDroppedAndCounted() throws Exception {
        open(true);
        final TunnelPort b = ub.openTunnel("vx-b", VNI, 1450);
        b.addPeer(LO_A);
        final InetSocketAddress vtepB = ub.localAddress();
        try (DatagramChannel fromA = DatagramChannel.open();
                DatagramChannel stranger = DatagramChannel.open()) {
            fromA.bind(new InetSocketAddress("127.0.0.1", 0));
            stranger.bind(new InetSocketAddress("127.0.0.3", 0));
            fromA.send(ByteBuffer.wrap(new byte[] {8, 0, 0}), vtepB);
            final byte[] vxlan = new byte[8 + 60];
            vxlan[0] = 8;
            vxlan[4] = (byte) (VNI >>> 16);
            vxlan[5] = (byte) (VNI >>> 8);
            vxlan[6] = (byte) VNI;
            stranger.send(ByteBuffer.wrap(vxlan), vtepB);
        }
        for (int turn = 0;
                turn < 100 && ub.counters().totalDrops() + b.counters().totalDrops() < 2;
                turn++) {
            ub.doWork(0, true);
        }
        assertEquals(1, ub.counters().drops(VtepDropReason.TRUNCATED), "3 bytes from the peer's address");
        assertEquals(1, b.counters().drops(VtepDropReason.UNKNOWN_SENDER), "a whole datagram from 127.0.0.3");
        assertEquals(Port.RX_EMPTY, b.receive(new UnsafeBuffer(new byte[70_000]), 0, 70_000));
        assertEquals(0, ub.groReads().buffersInUse(), "dropped datagrams give their references back");
    }

    @Test
    void withoutGroNettyReadsAsBefore() throws Exception {
        open(false);
        assertNull(ub.groReads());
        final TunnelPort a = ua.openTunnel("vx-a", VNI, 1450);
        final TunnelPort b = ub.openTunnel("vx-b", VNI, 1450);
        a.addPeer(LO_B);
        b.addPeer(LO_A);
        final byte[] sent = VtepFrames.tcpSuperFrame(8_000, 1448, TcpPacket.ACK);
        assertEquals(Port.TX_OK, a.transmit(new UnsafeBuffer(sent), 0, sent.length));
        ua.doWork(0, false);
        assertArrayEquals(TunnelPortTest.payloadOf(sent), receivePayload(b, 8_000));
    }

    /** Turns B's underlay and drains its tunnel until {@code bytes} of TCP payload came out. */
    private byte[] receivePayload(TunnelPort b, int bytes) {
        final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int turn = 0; turn < 1_000 && out.size() < bytes; turn++) {
            ub.doWork(0, true);
            int length;
            while ((length = b.receive(frame, 0, frame.capacity())) > 0) {
                final byte[] f = new byte[length];
                frame.getBytes(0, f);
                out.writeBytes(TunnelPortTest.payloadOf(f));
            }
        }
        return out.toByteArray();
    }
}
