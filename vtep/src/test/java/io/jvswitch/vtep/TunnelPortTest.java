package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.MacAddress;
import io.jvswitch.packet.TcpPacket;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.switching.port.Port;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Two VTEPs (hosts A and B) wired back to back in memory: what A's tunnel port hands its underlay
 * is fed to B's receiver as if it came from A's underlay address.
 */
class TunnelPortTest {
    static final int VNI = 4242;
    static final int HOST_A = 0x0ac80001; // 10.200.0.1
    static final int HOST_B = 0x0ac80002;
    static final int HOST_C = 0x0ac80003;

    /** The smallest ring a tunnel may have. */
    static final int RING = 64;

    final CachedNanoClock clock = new CachedNanoClock();
    final VtepContext ctxA = new VtepContext()
            .localAddress(HOST_A)
            .clock(clock)
            .rxQueueFrames(RING)
            .conclude();
    final VtepContext ctxB = new VtepContext()
            .localAddress(HOST_B)
            .clock(clock)
            .rxQueueFrames(RING)
            .conclude();
    final TxQueue txA = new TxQueue(64);
    final TxQueue txB = new TxQueue(64);
    final TunnelPort a = new TunnelPort("vx-a", VNI, 1450, ctxA, txA);
    final TunnelPort b = new TunnelPort("vx-b", VNI, 1450, ctxB, txB);
    final VtepCounters underlayB = new VtepCounters();
    final VtepReceiver receiverB = new VtepReceiver(ctxB, underlayB);
    final List<ByteBuf> leftovers = new ArrayList<>();
    final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));

    TunnelPortTest() {
        receiverB.add(b);
    }

    @AfterEach
    void release() {
        leftovers.forEach(ByteBuf::release);
        a.close(); // releases what is still queued
        b.close();
    }

    /** The VXLAN datagram (header and inner frame) carrying a frame given with its virtio-net header. */
    static UnsafeBuffer vxlan(int vni, byte[] frameWithHeader) {
        final UnsafeBuffer d =
                new UnsafeBuffer(new byte[VxlanHeader.LENGTH + frameWithHeader.length - VirtioNetHeader.LENGTH]);
        VxlanHeader.write(d, 0, vni);
        d.putBytes(
                VxlanHeader.LENGTH,
                frameWithHeader,
                VirtioNetHeader.LENGTH,
                frameWithHeader.length - VirtioNetHeader.LENGTH);
        return d;
    }

    /** A datagram as the underlay hands it over: a direct buffer of {@code d}'s bytes, ours to give away. */
    static ByteBuf datagram(UnsafeBuffer d) {
        return datagram(d, d.capacity());
    }

    static ByteBuf datagram(UnsafeBuffer d, int length) {
        final byte[] bytes = new byte[length];
        d.getBytes(0, bytes);
        return Unpooled.directBuffer(length).writeBytes(bytes);
    }

    /** Sends one frame out of A; returns the batches A's underlay would send. */
    List<TxBatch> sendFromA(byte[] frameWithHeader) {
        final UnsafeBuffer in = new UnsafeBuffer(ByteBuffer.allocateDirect(frameWithHeader.length));
        in.putBytes(0, frameWithHeader);
        assertEquals(Port.TX_OK, a.transmit(in, 0, frameWithHeader.length));
        final List<TxBatch> batches = new ArrayList<>();
        txA.drain(batch -> {
            final TxBatch copy = new TxBatch();
            copy.datagrams = batch.datagrams;
            copy.peer = batch.peer;
            copy.peers = batch.peers;
            copy.stride = batch.stride;
            copy.segments = batch.segments;
            copy.sender = batch.sender;
            leftovers.add(batch.datagrams);
            batches.add(copy);
        });
        return batches;
    }

    static UnsafeBuffer bytesOf(ByteBuf buf, int offset, int length) {
        final byte[] bytes = new byte[length];
        buf.getBytes(buf.readerIndex() + offset, bytes);
        return new UnsafeBuffer(bytes);
    }

    /** B's dataplane reading one frame from its tunnel port. */
    byte[] receiveAtB() {
        final int n = b.receive(frame, 0, frame.capacity());
        if (n <= 0) {
            return null;
        }
        final byte[] bytes = new byte[n];
        frame.getBytes(0, bytes);
        return bytes;
    }

    @Test
    void encapsulationRoundTripsAndTeachesTheRemoteMac() {
        a.addPeer(HOST_B);
        b.addPeer(HOST_A);
        final byte[] sent = VtepFrames.udp(VtepFrames.MAC_B, 100);
        final List<TxBatch> batches = sendFromA(sent);
        assertEquals(1, batches.size());
        final TxBatch batch = batches.getFirst();
        assertNull(batch.peer, "B's MAC is not known yet: replicated to every peer");
        assertEquals(1, batch.peers.length);
        final ByteBuf datagram = batch.datagrams;
        assertEquals(VxlanHeader.LENGTH + sent.length - VirtioNetHeader.LENGTH, datagram.readableBytes());
        final UnsafeBuffer d = bytesOf(datagram, 0, datagram.readableBytes());
        assertEquals(0x08000000, VxlanHeader.flagsWord(d, 0), "I flag, reserved zero");
        assertEquals(VNI, VxlanHeader.vni(d, 0));
        assertEquals(0, d.getByte(7), "last reserved byte");

        assertNull(receiverB.onDatagram(HOST_A, datagram(d)));
        final byte[] received = receiveAtB();
        final byte[] expected = sent.clone();
        Arrays.fill(expected, 0, VirtioNetHeader.LENGTH, (byte) 0);
        assertArrayEquals(expected, received);
        assertEquals(HOST_A, b.remoteMacs().lookup(VtepFrames.MAC_A), "MAC -> VTEP learned on decap");
        assertEquals(1, b.counters().rxFrames());
        assertEquals(1, b.peerOf(HOST_A).counters().rxFrames());
        assertEquals(1, a.counters().txFrames());
    }

    /** Where each segment of a batch starts in its datagram buffer. */
    List<Integer> segmentOffsets(TxBatch batch) {
        final ByteBuf d = batch.datagrams;
        final List<Integer> offsets = new ArrayList<>();
        for (int at = 0; at < d.readableBytes(); at += batch.stride) {
            offsets.add(at);
        }
        return offsets;
    }

    static byte[] payloadOf(byte[] frameWithHeader) {
        final int tcp = VirtioNetHeader.LENGTH + 14 + 20;
        final int tcpHeader = ((frameWithHeader[tcp + 12] & 0xF0) >>> 2);
        return Arrays.copyOfRange(frameWithHeader, tcp + tcpHeader, frameWithHeader.length);
    }

    /**
     * Where the middle segment is corrupted: its last payload byte (its TCP checksum fails) or its
     * IPv4 header checksum field (which the join does not compare, so only the check catches it).
     */
    @ParameterizedTest
    @ValueSource(ints = {-1, VxlanHeader.LENGTH + 14 + 10})
    void consecutiveSegmentsOfOneFlowAreHandedOnAsOneSuperFrame(int corruptedByte) {
        a.addPeer(HOST_B);
        b.addPeer(HOST_A);
        final byte[] sent = VtepFrames.tcpSuperFrame(20_000, 1448, TcpPacket.ACK | TcpPacket.PSH);
        final TxBatch batch = sendFromA(sent).getFirst();
        final List<Integer> offsets = segmentOffsets(batch);
        assertTrue(offsets.size() > 2, offsets.toString());
        final UnsafeBuffer all = bytesOf(batch.datagrams, 0, batch.datagrams.readableBytes());
        // one corrupted segment in the middle: it must not be vouched for by the super-frame
        final int bad = offsets.get(offsets.size() / 2);
        for (int i = 0; i < offsets.size(); i++) {
            final int at = offsets.get(i);
            final int len = Math.min(batch.stride, all.capacity() - at);
            final UnsafeBuffer d = new UnsafeBuffer(new byte[len]);
            d.putBytes(0, all, at, len);
            if (at == bad) {
                final int target = corruptedByte < 0 ? len - 1 : corruptedByte;
                d.putByte(target, (byte) (d.getByte(target) ^ 0x55));
            }
            assertNull(receiverB.onDatagram(HOST_A, datagram(d, len)));
        }

        final byte[] first = receiveAtB();
        final int before = offsets.size() / 2;
        assertEquals(VirtioNetHeader.GSO_TCPV4, first[1]);
        assertEquals(VirtioNetHeader.FLAG_NEEDS_CSUM, first[0]);
        final UnsafeBuffer f = new UnsafeBuffer(first);
        final int mss = VirtioNetHeader.gsoSize(f, 0);
        assertEquals(batch.stride - VxlanHeader.LENGTH - 14 - 20 - 32, mss, "segment size = the segments' payload");
        assertEquals(14 + 20 + 32, VirtioNetHeader.headerLength(f, 0));
        assertEquals(14 + 20, VirtioNetHeader.checksumStart(f, 0));
        assertEquals(16, VirtioNetHeader.checksumOffset(f, 0));
        assertEquals(before * mss, payloadOf(first).length, "the segments before the corrupted one, joined");
        assertEquals(
                first.length - VirtioNetHeader.LENGTH - 14,
                f.getShort(VirtioNetHeader.LENGTH + 14 + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF,
                "IP total length of the super-frame");
        assertEquals(0, InternetChecksum.compute(f, VirtioNetHeader.LENGTH + 14, 20), "IP checksum");
        // completing the checksum as the kernel would gives a valid TCP checksum over the whole payload
        final UnsafeBuffer copy = new UnsafeBuffer(first.clone());
        assertTrue(VirtioNetHeader.completeChecksum(copy, 0, first.length));
        final int tcpLength = first.length - VirtioNetHeader.LENGTH - 34;
        assertEquals(
                0xFFFF,
                InternetChecksum.fold(InternetChecksum.partialSum(
                        copy,
                        VirtioNetHeader.LENGTH + 34,
                        tcpLength,
                        InternetChecksum.pseudoHeaderIpv4(VtepFrames.IP_A, VtepFrames.IP_B, 6, tcpLength))));

        final byte[] corrupted = receiveAtB();
        assertEquals(0, corrupted[1], "the corrupted segment goes on alone, unvouched, for the receiver to drop");
        assertEquals(0, corrupted[0]);
        final byte[] rest = receiveAtB();
        assertEquals(VirtioNetHeader.GSO_TCPV4, rest[1]);
        assertTrue((rest[VirtioNetHeader.LENGTH + 34 + 13] & TcpPacket.PSH) != 0, "the last segment's PSH");
        assertNull(receiveAtB());
        final byte[] expected = payloadOf(sent);
        final byte[] joined = new byte[expected.length];
        System.arraycopy(payloadOf(first), 0, joined, 0, before * mss);
        System.arraycopy(payloadOf(rest), 0, joined, (before + 1) * mss, expected.length - (before + 1) * mss);
        System.arraycopy(expected, before * mss, joined, before * mss, mss); // the corrupted one, as sent
        if (corruptedByte >= 0) {
            assertArrayEquals(
                    Arrays.copyOfRange(expected, before * mss, (before + 1) * mss),
                    payloadOf(corrupted),
                    "a bad IP header checksum leaves the payload as it was");
        }
        assertArrayEquals(expected, joined, "payload in order, nothing lost or doubled");
        assertEquals(2, b.counters().superFrames());
        assertEquals(offsets.size() - 1, b.counters().coalescedSegments());
    }

    @Test
    void unknownAndBroadcastAreReplicatedKnownUnicastGoesToItsVtep() {
        a.addPeer(HOST_B);
        a.addPeer(HOST_C);
        final List<TxBatch> flood = sendFromA(VtepFrames.arpFromA());
        assertNull(flood.getFirst().peer);
        assertEquals(2, flood.getFirst().peers.length);
        assertEquals(1, a.peerOf(HOST_B).counters().txFrames());
        assertEquals(1, a.peerOf(HOST_C).counters().txFrames());

        learnAtA(VtepFrames.MAC_B, HOST_C);
        final List<TxBatch> unicast = sendFromA(VtepFrames.udp(VtepFrames.MAC_B, 10));
        assertSame(a.peerOf(HOST_C), unicast.getFirst().peer);
        assertEquals(2, a.peerOf(HOST_C).counters().txFrames());
        assertEquals(1, a.peerOf(HOST_B).counters().txFrames());

        a.removePeer(HOST_C);
        a.receive(frame, 0, frame.capacity()); // a duty cycle: the removed peer's MACs are forgotten
        assertEquals(RemoteMacTable.MISSING, a.remoteMacs().lookup(VtepFrames.MAC_B));
        final List<TxBatch> afterRemoval = sendFromA(VtepFrames.udp(VtepFrames.MAC_B, 10));
        assertNull(afterRemoval.getFirst().peer);
        assertEquals(1, afterRemoval.getFirst().peers.length);
        assertEquals(HOST_B, afterRemoval.getFirst().peers[0].ip());
    }

    /** Makes A learn {@code mac} behind {@code vtep} the way it does in service: from a decapsulated frame. */
    private void learnAtA(long mac, int vtep) {
        final VtepReceiver receiverA = new VtepReceiver(ctxA, new VtepCounters());
        receiverA.add(a);
        final byte[] f = VtepFrames.udp(VtepFrames.MAC_A, 10);
        MacAddress.write(new UnsafeBuffer(f), VirtioNetHeader.LENGTH + 6, mac);
        assertNull(receiverA.onDatagram(vtep, datagram(vxlan(VNI, f))));
        assertTrue(a.receive(frame, 0, frame.capacity()) > 0);
    }

    @Test
    void aMacOneHostHoldsIsNotTakenByAnotherUntilItAges() {
        a.addPeer(HOST_B);
        a.addPeer(HOST_C);
        learnAtA(VtepFrames.MAC_B, HOST_B);
        // A sender spoofing HOST_C's underlay address sends with the MAC of B's container
        final VtepReceiver receiverA = new VtepReceiver(ctxA, new VtepCounters());
        receiverA.add(a);
        final byte[] forged = VtepFrames.udp(VtepFrames.MAC_A, 10);
        MacAddress.write(new UnsafeBuffer(forged), VirtioNetHeader.LENGTH + 6, VtepFrames.MAC_B);
        assertNull(receiverA.onDatagram(HOST_C, datagram(vxlan(VNI, forged))));
        assertEquals(Port.RX_EMPTY, a.receive(frame, 0, frame.capacity()), "not delivered");
        assertEquals(1, a.counters().drops(VtepDropReason.MAC_OF_ANOTHER_PEER));
        assertEquals(HOST_B, a.remoteMacs().lookup(VtepFrames.MAC_B), "still behind its own host");
        assertEquals(1, a.remoteMacs().refusedOtherPeer());
        // Unheard of for the aging time, the MAC may move hosts (its container moved)
        clock.update(clock.nanoTime() + TimeUnit.SECONDS.toNanos(301));
        a.receive(frame, 0, frame.capacity()); // a duty cycle with nothing queued: the port reads the clock
        assertNull(receiverA.onDatagram(HOST_C, datagram(vxlan(VNI, forged))));
        assertTrue(a.receive(frame, 0, frame.capacity()) > 0);
        assertEquals(HOST_C, a.remoteMacs().lookup(VtepFrames.MAC_B));
    }

    @Test
    void remoteMacsAgeLikeLocalOnes() {
        a.addPeer(HOST_B);
        learnAtA(VtepFrames.MAC_B, HOST_B);
        assertEquals(HOST_B, a.remoteMacs().lookup(VtepFrames.MAC_B));
        clock.update(clock.nanoTime() + TimeUnit.SECONDS.toNanos(299));
        for (int i = 0; i < 1000; i++) {
            a.receive(frame, 0, frame.capacity());
        }
        assertEquals(HOST_B, a.remoteMacs().lookup(VtepFrames.MAC_B), "not yet");
        clock.update(clock.nanoTime() + TimeUnit.SECONDS.toNanos(2));
        for (int i = 0; i < 1000; i++) {
            a.receive(frame, 0, frame.capacity());
        }
        assertEquals(RemoteMacTable.MISSING, a.remoteMacs().lookup(VtepFrames.MAC_B));
        assertEquals(1, a.remoteMacs().agedCount());
    }

    @Test
    void everyBadDatagramIsDroppedAndCountedUnderItsReason() {
        b.addPeer(HOST_A);
        final byte[] inner = VtepFrames.udp(VtepFrames.MAC_B, 20);
        final int innerLength = inner.length - VirtioNetHeader.LENGTH;
        final UnsafeBuffer good = vxlan(VNI, inner);

        assertEquals(VtepDropReason.TRUNCATED, receiverB.onDatagram(HOST_A, datagram(good, 7)));
        final UnsafeBuffer flags = copy(good);
        flags.putByte(0, (byte) 0x0C);
        assertEquals(VtepDropReason.BAD_FLAGS, receiverB.onDatagram(HOST_A, datagram(flags)));
        final UnsafeBuffer noI = copy(good);
        noI.putByte(0, (byte) 0);
        assertEquals(VtepDropReason.BAD_FLAGS, receiverB.onDatagram(HOST_A, datagram(noI)));
        final UnsafeBuffer reserved = copy(good);
        reserved.putByte(2, (byte) 1);
        assertEquals(VtepDropReason.RESERVED_BITS, receiverB.onDatagram(HOST_A, datagram(reserved)));
        final UnsafeBuffer lastReserved = copy(good);
        lastReserved.putByte(7, (byte) 1);
        assertEquals(VtepDropReason.RESERVED_BITS, receiverB.onDatagram(HOST_A, datagram(lastReserved)));
        final UnsafeBuffer otherVni = copy(good);
        VxlanHeader.write(otherVni, 0, VNI + 1);
        assertEquals(VtepDropReason.UNKNOWN_VNI, receiverB.onDatagram(HOST_A, datagram(otherVni)));
        assertEquals(VtepDropReason.UNKNOWN_SENDER, receiverB.onDatagram(HOST_C, datagram(good)));
        assertEquals(VtepDropReason.RUNT_INNER, receiverB.onDatagram(HOST_A, datagram(good, VxlanHeader.LENGTH + 13)));
        assertNull(receiverB.onDatagram(HOST_A, datagram(good)), "good traffic still passes");

        assertEquals(1, underlayB.drops(VtepDropReason.TRUNCATED));
        assertEquals(2, underlayB.drops(VtepDropReason.BAD_FLAGS));
        assertEquals(2, underlayB.drops(VtepDropReason.RESERVED_BITS));
        assertEquals(1, underlayB.drops(VtepDropReason.UNKNOWN_VNI));
        assertEquals(1, b.counters().drops(VtepDropReason.UNKNOWN_SENDER));
        assertEquals(1, b.counters().drops(VtepDropReason.RUNT_INNER));
        assertEquals(1, b.peerOf(HOST_A).counters().drops(VtepDropReason.RUNT_INNER));
        assertEquals(1, b.counters().rxFrames());
        assertEquals(innerLength + VirtioNetHeader.LENGTH, b.receive(frame, 0, frame.capacity()));
        assertEquals(Port.RX_EMPTY, b.receive(frame, 0, frame.capacity()));
    }

    @Test
    void aFullRingDropsAndCounts() {
        b.addPeer(HOST_A);
        final UnsafeBuffer big = new UnsafeBuffer(new byte[VxlanHeader.LENGTH + 9000]);
        VxlanHeader.write(big, 0, VNI);
        int accepted = 0;
        for (int i = 0; i < 100; i++) {
            if (receiverB.onDatagram(HOST_A, datagram(big)) == null) {
                accepted++;
            }
        }
        assertEquals(RING, accepted, "as many frames as the ring has entries, whatever their size");
        assertEquals(100 - RING, b.counters().drops(VtepDropReason.RX_RING_FULL));
    }

    @Test
    void oneInOneOutNeverFillsTheRingAcrossItsWraps() {
        b.addPeer(HOST_A);
        final byte[] inner = VtepFrames.udp(VtepFrames.MAC_B, 1_000);
        final UnsafeBuffer d = vxlan(VNI, inner);
        // 20000 frames through a ring of 64 entries wrap it about 300 times
        for (int i = 0; i < 20_000; i++) {
            assertNull(receiverB.onDatagram(HOST_A, datagram(d)), "frame " + i);
            assertEquals(inner.length, b.receive(frame, 0, frame.capacity()), "frame " + i + " comes out at once");
        }
    }

    /** A frame whose checksum the container left to complete (NEEDS_CSUM) leaves with it completed. */
    @Test
    void aChecksumLeftToCompleteIsCompletedInTheDatagramOrTheFrameRefused() {
        a.addPeer(HOST_B);
        final byte[] f = VtepFrames.udp(VtepFrames.MAC_B, 101);
        final UnsafeBuffer frameIn = new UnsafeBuffer(f);
        final int udpLength = 8 + 101;
        VirtioNetHeader.setFlags(frameIn, 0, VirtioNetHeader.FLAG_NEEDS_CSUM);
        VirtioNetHeader.setChecksumStart(frameIn, 0, 14 + 20);
        VirtioNetHeader.setChecksumOffset(frameIn, 0, 6);
        final int pseudo = InternetChecksum.pseudoHeaderIpv4(
                VtepFrames.IP_A, frameIn.getInt(VirtioNetHeader.LENGTH + 14 + 16, ByteOrder.BIG_ENDIAN), 17, udpLength);
        frameIn.putShort(VirtioNetHeader.LENGTH + 34 + 6, (short) InternetChecksum.fold(pseudo), ByteOrder.BIG_ENDIAN);
        final List<TxBatch> batches = sendFromA(f);
        final ByteBuf datagram = batches.getFirst().datagrams;
        final UnsafeBuffer d = bytesOf(datagram, 0, datagram.readableBytes());
        final int udp = VxlanHeader.LENGTH + 34;
        assertEquals(
                0xFFFF,
                InternetChecksum.fold(InternetChecksum.partialSum(d, udp, udpLength, pseudo)),
                "the UDP checksum verifies");
        for (int i = 0; i < 34; i++) {
            assertEquals(f[VirtioNetHeader.LENGTH + i], d.getByte(VxlanHeader.LENGTH + i), "header byte " + i);
        }

        VirtioNetHeader.setChecksumStart(frameIn, 0, f.length);
        final UnsafeBuffer bad = new UnsafeBuffer(ByteBuffer.allocateDirect(f.length));
        bad.putBytes(0, f);
        assertEquals(Port.TX_REJECTED, a.transmit(bad, 0, f.length));
        assertEquals(1, a.counters().drops(VtepDropReason.BAD_OFFLOAD));
    }

    @Test
    void transmitRefusalsAreCounted() {
        final byte[] f = VtepFrames.udp(VtepFrames.MAC_B, 10);
        final UnsafeBuffer in = new UnsafeBuffer(ByteBuffer.allocateDirect(f.length));
        in.putBytes(0, f);
        assertEquals(Port.TX_REJECTED, a.transmit(in, 0, f.length));
        assertEquals(1, a.counters().drops(VtepDropReason.NO_PEERS));
        a.addPeer(HOST_B);
        final byte[] big = VtepFrames.udp(VtepFrames.MAC_B, 1500);
        final UnsafeBuffer bigIn = new UnsafeBuffer(ByteBuffer.allocateDirect(big.length));
        bigIn.putBytes(0, big);
        assertEquals(Port.TX_REJECTED, a.transmit(bigIn, 0, big.length));
        assertEquals(1, a.counters().drops(VtepDropReason.OVERSIZE_INNER));
        int busy = 0;
        for (int i = 0; i < 70; i++) {
            if (a.transmit(in, 0, f.length) == Port.TX_BUSY) {
                busy++;
            }
        }
        assertEquals(6, busy, "64 holders in the queue, nobody draining");
        assertEquals(6, a.counters().drops(VtepDropReason.TX_QUEUE_FULL));
        txA.drain(batch -> batch.datagrams.release());
    }

    @Test
    void peerTableRejectsDuplicatesSelfAndAbsentPeers() {
        a.addPeer(HOST_B);
        assertThrows(IllegalStateException.class, () -> a.addPeer(HOST_B));
        assertThrows(IllegalArgumentException.class, () -> a.addPeer(HOST_A));
        assertThrows(IllegalStateException.class, () -> a.removePeer(HOST_C));
        final VtepContext small =
                new VtepContext().localAddress(HOST_A).peerLimit(2).conclude();
        final TunnelPort limited = new TunnelPort("vx", 1, 1450, small, new TxQueue(16));
        limited.addPeer(HOST_B);
        limited.addPeer(HOST_C);
        assertThrows(IllegalStateException.class, () -> limited.addPeer(HOST_C + 1));
    }

    /** Where netty reads datagrams into: the underlay's socket uses netty's default, the adaptive allocator. */
    enum ReadBuffers {
        ADAPTIVE_DIRECT(new AdaptiveByteBufAllocator(), true),
        POOLED_DIRECT(PooledByteBufAllocator.DEFAULT, true),
        UNPOOLED_DIRECT(UnpooledByteBufAllocator.DEFAULT, true),
        UNPOOLED_HEAP(UnpooledByteBufAllocator.DEFAULT, false);

        final ByteBufAllocator allocator;
        final boolean direct;

        ReadBuffers(ByteBufAllocator allocator, boolean direct) {
            this.allocator = allocator;
            this.direct = direct;
        }
    }

    /** One read of the underlay: a buffer holding several datagrams, and each datagram as netty hands it over. */
    record Read(ByteBuf buffer, List<ByteBuf> datagrams) {
        /**
         * As netty's epoll receive does it: one buffer per read, a retained slice of it per datagram
         * (recvmmsg, or UDP GRO splitting a coalesced read), then its own reference released.
         */
        static Read of(ReadBuffers kind, List<byte[]> datagrams) {
            final int total = datagrams.stream().mapToInt(d -> d.length).sum();
            final ByteBuf buffer = kind.direct ? kind.allocator.directBuffer(total) : kind.allocator.heapBuffer(total);
            datagrams.forEach(buffer::writeBytes);
            final List<ByteBuf> slices = new ArrayList<>();
            while (buffer.isReadable()) {
                slices.add(buffer.readRetainedSlice(datagrams.get(slices.size()).length));
            }
            buffer.release();
            return new Read(buffer, slices);
        }
    }

    /**
     * Every received datagram holds its read buffer until its frame is copied out (consumed),
     * refused, dropped by the receive or discarded with the port, and then lets go of it exactly
     * once: each read buffer's count is the number of its datagrams still held, and ends at zero.
     * (Counted before anything else is allocated: a freed pooled buffer's object is reused.)
     */
    @ParameterizedTest
    @EnumSource(ReadBuffers.class)
    void receivedDatagramsAreHeldWhileQueuedAndReleasedOnceWhateverBecomesOfThem(ReadBuffers kind) {
        a.addPeer(HOST_B);
        b.addPeer(HOST_A);
        // four full segments of one flow, ACK without PSH so the super-frame stays open, then a UDP
        // frame, which cannot join it (the receive answers ABORT for it)
        final TxBatch tcp = sendFromA(VtepFrames.tcpSuperFrame(4 * 1000, 1000, TcpPacket.ACK))
                .getFirst();
        final List<byte[]> first = new ArrayList<>();
        for (int at : segmentOffsets(tcp)) {
            first.add(bytesOf(tcp.datagrams, at, Math.min(tcp.stride, tcp.datagrams.readableBytes() - at))
                    .byteArray());
        }
        final int segments = first.size();
        assertEquals(4, segments);
        first.add(vxlan(VNI, VtepFrames.udp(VtepFrames.MAC_B, 100)).byteArray());
        final Read tcpThenUdp = Read.of(kind, first);
        assertEquals(segments + 1, tcpThenUdp.buffer().refCnt(), "one reference per datagram, netty's own let go");
        tcpThenUdp.datagrams().forEach(d -> assertNull(receiverB.onDatagram(HOST_A, d)));
        assertEquals(segments + 1, tcpThenUdp.buffer().refCnt(), "queued: held");

        assertTrue(b.receive(frame, 0, frame.capacity()) > 0);
        assertEquals(segments, b.counters().coalescedSegments(), "the segments, joined");
        assertEquals(1, tcpThenUdp.buffer().refCnt(), "the UDP frame did not join: left queued, still held");
        assertTrue(b.receive(frame, 0, frame.capacity()) > 0);
        assertEquals(0, tcpThenUdp.buffer().refCnt(), "all copied out");

        // bad datagrams, then more good ones than the ring holds
        final byte[] good = vxlan(VNI, VtepFrames.udp(VtepFrames.MAC_B, 100)).byteArray();
        final byte[] badFlags = good.clone();
        badFlags[0] = 0;
        final List<byte[]> second = new ArrayList<>(List.of(
                badFlags,
                vxlan(VNI + 1, VtepFrames.udp(VtepFrames.MAC_B, 10)).byteArray(),
                Arrays.copyOf(good, VxlanHeader.LENGTH + 13)));
        for (int i = 0; i < RING + 3; i++) {
            second.add(good);
        }
        final Read burst = Read.of(kind, second);
        for (ByteBuf d : burst.datagrams()) {
            receiverB.onDatagram(HOST_A, d);
        }
        assertEquals(1, underlayB.drops(VtepDropReason.BAD_FLAGS));
        assertEquals(1, underlayB.drops(VtepDropReason.UNKNOWN_VNI));
        assertEquals(1, b.counters().drops(VtepDropReason.RUNT_INNER));
        assertEquals(3, b.counters().drops(VtepDropReason.RX_RING_FULL));
        assertEquals(RING, burst.buffer().refCnt(), "dropped ones let go at once, queued ones held");

        assertEquals(Port.RX_EMPTY, b.receive(frame, 0, 100), "a frame larger than the frame buffer is dropped");
        assertEquals(1, b.counters().drops(VtepDropReason.RX_TOO_LARGE));
        assertEquals(RING - 1, burst.buffer().refCnt());
        assertTrue(b.receive(frame, 0, frame.capacity()) > 0);
        assertEquals(RING - 2, burst.buffer().refCnt());

        b.close(); // unplugged: what is queued goes back to netty
        assertEquals(0, burst.buffer().refCnt());
        assertEquals(RING - 2, b.counters().drops(VtepDropReason.RX_PORT_CLOSED));
        // until the control plane removes the tunnel from the VNI map, datagrams still find it
        final Read late = Read.of(kind, List.of(good, good));
        assertEquals(
                VtepDropReason.RX_PORT_CLOSED,
                receiverB.onDatagram(HOST_A, late.datagrams().get(0)));
        receiverB.remove(b);
        assertEquals(
                VtepDropReason.UNKNOWN_VNI,
                receiverB.onDatagram(HOST_A, late.datagrams().get(1)));
        assertEquals(0, late.buffer().refCnt());
        assertEquals(Port.RX_GONE, b.receive(frame, 0, frame.capacity()));
    }

    private static UnsafeBuffer copy(UnsafeBuffer b) {
        return new UnsafeBuffer(b.byteArray().clone());
    }
}
