package io.jvswitch.bench;

import io.jvswitch.packet.InternetChecksum;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.testsupport.FrameBuilder;
import io.jvswitch.vtep.TcpSegmenter;
import io.jvswitch.vtep.TunnelPort;
import io.jvswitch.vtep.TxQueue;
import io.jvswitch.vtep.VtepContext;
import io.jvswitch.vtep.VtepCounters;
import io.jvswitch.vtep.VtepReceiver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.ByteBuffer;

/**
 * The VTEP's work on a TCP stream on one core, in memory (no sockets), per TSO super-frame of
 * {@code payload} bytes in segments of 1,398 bytes (a 1450-byte overlay):
 * <ul>
 *   <li>{@code segment}: the sender's software segmentation of a container's super-frame into the
 *       VXLAN datagrams one UDP GSO send carries, every segment's TCP checksum included;</li>
 *   <li>{@code coalesce}: the receiver's side of those datagrams as one UDP GRO read hands them
 *       over (each with a reference to the read's buffer): the receive checks, the ring, every
 *       segment's checksum verified and its payload joined into one super-frame for the
 *       container's TAP; with {@code outerChecksummed} the read is marked as one whose outer
 *       checksums the kernel verified (as a GRO read is), and the segments' checksums are not
 *       verified again;</li>
 *   <li>{@code copyAndSum}: the floor under both, the payload summed and copied once, with no
 *       headers and no per-segment work.</li>
 * </ul>
 * The score is super-frames per second; times {@code payload} it is bytes per second.
 * {@code -prof gc} shows the allocation per super-frame.
 */
public class VxlanTsoBenchmark extends InMemoryBenchmark {
    private static final int OVERLAY_MTU = 1450;
    /** The segment size of a container on a 1450-byte overlay: MTU less IPv4 and TCP with timestamps. */
    private static final int MSS = OVERLAY_MTU - 20 - 32;

    private static final int VNI = 4242;
    private static final int LOCAL = 0x0ac80001;
    private static final int PEER = 0x0ac80002;

    /** Payload bytes per super-frame: 45 full segments (about what Linux sends at 64 KB), and 4. */
    @Param({"62910", "5592"})
    int payload;

    @Param({"false", "true"})
    boolean outerChecksummed;

    private final TcpSegmenter segmenter = new TcpSegmenter();
    private UnsafeBuffer superFrame;
    private int superFrameLength;
    private UnsafeBuffer datagrams;
    private TunnelPort port;
    private VtepReceiver receiver;
    /** The datagrams as a GRO read leaves them in its buffer: {@code stride} bytes apart. */
    private ByteBuf groRead;

    private int stride;
    private int groLength;
    private int segments;
    private UnsafeBuffer joined;

    @Setup(Level.Trial)
    public void setUp() {
        final byte[] frame = FrameBuilder.tcpSuperFrame(
                0x02_4a_0a_0a_00_03L, 0x02_4a_0a_0a_00_02L, 0x0a0a0002, 0x0a0a0003, payload, MSS);
        // direct buffers, as the dataplane reads into and the underlay sends from
        superFrame = new UnsafeBuffer(ByteBuffer.allocateDirect(frame.length));
        superFrame.putBytes(0, frame);
        superFrameLength = frame.length;
        datagrams = new UnsafeBuffer(ByteBuffer.allocateDirect(TcpSegmenter.maxOutputBytes(frame.length, MSS)));
        segments = (payload + MSS - 1) / MSS;
        if (!segmenter.segment(superFrame, 0, superFrameLength, datagrams, VNI, OVERLAY_MTU)
                || segmenter.segmentCount() != segments) {
            throw new IllegalStateException("the super-frame was not segmented: " + segmenter.failure());
        }

        final VtepContext ctx = new VtepContext().localAddress(LOCAL).conclude();
        port = new TunnelPort("vxlan:bench", VNI, OVERLAY_MTU, ctx, new TxQueue(16));
        port.addPeer(PEER);
        receiver = new VtepReceiver(ctx, new VtepCounters());
        receiver.add(port);
        stride = segmenter.stride();
        groLength = segmenter.totalBytes();
        final byte[] read = new byte[groLength];
        datagrams.getBytes(0, read);
        groRead = Unpooled.directBuffer(groLength).writeBytes(read);
        joined = new UnsafeBuffer(ByteBuffer.allocateDirect(VirtioNetHeader.LENGTH + 65_536));
        if (coalesce() != frame.length
                || port.counters().superFrames() != 1
                || port.counters().coalescedSegments() != segments) {
            throw new IllegalStateException("the datagrams were not joined into one super-frame");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        port.close();
        groRead.release();
    }

    @Benchmark
    public int segment() {
        if (!segmenter.segment(superFrame, 0, superFrameLength, datagrams, VNI, OVERLAY_MTU)) {
            throw new IllegalStateException("not segmented: " + segmenter.failure());
        }
        return segmenter.totalBytes();
    }

    @Benchmark
    public int coalesce() {
        // a reference for every datagram, taken at once, as the underlay's read hands them over
        groRead.retain(segments);
        for (int at = 0; at < groLength; at += stride) {
            if (receiver.onDatagram(PEER, groRead, at, Math.min(stride, groLength - at), outerChecksummed) != null) {
                throw new IllegalStateException("datagram dropped");
            }
        }
        return port.receive(joined, 0, joined.capacity());
    }

    @Benchmark
    public int copyAndSum() {
        return InternetChecksum.copyAndSum(
                superFrame, superFrameLength - payload, datagrams, VxlanHeader.LENGTH + 66, payload, 0);
    }
}
