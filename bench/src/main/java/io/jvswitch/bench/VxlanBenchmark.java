package io.jvswitch.bench;

import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.packet.VxlanHeader;
import io.jvswitch.testsupport.FrameBuilder;
import io.jvswitch.vtep.TunnelPort;
import io.jvswitch.vtep.TxBatch;
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
import java.util.function.Consumer;

/**
 * The VTEP's per-frame work on one core, in memory (no sockets): {@code encap} is the tunnel
 * port's transmit of a frame to a learned remote MAC (MAC-to-VTEP lookup, pooled buffer, VXLAN
 * header, copy, flow hash, counters, hand-off) plus the underlay's side of the queue (taking
 * the batch, releasing the buffer as netty would after the send); {@code decap} starts where the
 * underlay's read hands a received datagram over (a reference to the buffer it was read into) and
 * is the receive checks, the ring (a reference, not a copy), the dataplane's one copy of the frame
 * out of that buffer, with learning, and the release. The read itself (the system call, and the
 * split of a coalesced read, which allocates nothing) is not in it.
 * The score is frames per second; {@code -prof gc} shows the allocation per frame.
 */
public class VxlanBenchmark extends InMemoryBenchmark {
    private static final int LOCAL = 0x0ac80001;
    private static final int PEER = 0x0ac80002;
    private static final long MAC_LOCAL = 0x02_4a_0a_0a_00_02L;
    private static final long MAC_REMOTE = 0x02_4a_0a_0a_00_03L;

    @Param({"64", "1514"})
    int frameSize;

    private TunnelPort port;
    private TxQueue queue;
    private VtepReceiver receiver;
    private UnsafeBuffer outgoing;
    private int outgoingLength;
    /** A read buffer holding one datagram, as the underlay's receive fills it. */
    private ByteBuf received;

    private UnsafeBuffer frame;
    private final Consumer<TxBatch> sent = batch -> batch.datagrams().release();

    @Setup(Level.Trial)
    public void setUp() {
        final VtepContext ctx = new VtepContext().localAddress(LOCAL).conclude();
        queue = new TxQueue(1024);
        port = new TunnelPort("vxlan:bench", 4242, 1500, ctx, queue);
        port.addPeer(PEER);
        receiver = new VtepReceiver(ctx, new VtepCounters());
        receiver.add(port);
        frame = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));

        final byte[] out = FrameBuilder.udpOfLength(MAC_REMOTE, MAC_LOCAL, 0x0a0a0002, 0x0a0a0003, frameSize);
        outgoing = new UnsafeBuffer(ByteBuffer.allocateDirect(out.length));
        outgoing.putBytes(0, out);
        outgoingLength = out.length;

        final byte[] in = FrameBuilder.udpOfLength(MAC_LOCAL, MAC_REMOTE, 0x0a0a0003, 0x0a0a0002, frameSize);
        final int inner = in.length - VirtioNetHeader.LENGTH;
        final UnsafeBuffer datagram = new UnsafeBuffer(new byte[VxlanHeader.LENGTH + inner]);
        VxlanHeader.write(datagram, 0, 4242);
        datagram.putBytes(VxlanHeader.LENGTH, in, VirtioNetHeader.LENGTH, inner);
        // a direct buffer, as the underlay's reads use
        received = Unpooled.directBuffer(datagram.capacity()).writeBytes(datagram.byteArray());
        // the remote MAC is learned from one decapsulated frame, as in service
        decap();
        if (port.remoteMacs().lookup(MAC_REMOTE) != PEER) {
            throw new IllegalStateException("remote MAC not learned");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        port.close();
        received.release();
    }

    @Benchmark
    public int encap() {
        final int result = port.transmit(outgoing, 0, outgoingLength);
        queue.drain(sent);
        return result;
    }

    @Benchmark
    public int decap() {
        // A reference for the receiver to take over, as the underlay's read hands one per datagram; the
        // port releases it once the frame is copied out.
        if (receiver.onDatagram(PEER, received.retain(), 0, received.writerIndex(), false) != null) {
            throw new IllegalStateException("datagram dropped");
        }
        return port.receive(frame, 0, frame.capacity());
    }
}
