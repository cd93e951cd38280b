package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvswitch.packet.VirtioNetHeader;
import io.jvswitch.switching.port.Port;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzz test of what a peer (or anyone spoofing one) can send: VXLAN decapsulation
 * ({@link VtepReceiver}) and the tunnel port's receive side, remote MAC learning and the TCP
 * coalescer that joins consecutive segments. Without {@code JAZZER_FUZZ} it replays its inputs as
 * a regression test.
 *
 * <p>Input: records of a sender byte (host B, host C, or not a peer), a two-byte length and that
 * many bytes of UDP payload; the port is drained every few datagrams and at the end.
 *
 * <p>Properties: nothing throws; every frame handed to the switch fits the buffer and carries at
 * least a virtio-net and an Ethernet header; every datagram's reference is given back once its
 * frame is read or dropped (no leak, no double release).
 */
class VxlanDecapFuzzTest {
    static final int VNI = 4242;
    static final int HOST_A = 0x0ac80001;
    static final int HOST_B = 0x0ac80002;
    static final int HOST_C = 0x0ac80003;
    static final int STRANGER = 0x0ac80009;

    @FuzzTest
    void datagrams(byte[] input) {
        final CachedNanoClock clock = new CachedNanoClock();
        final VtepContext ctx = new VtepContext()
                .localAddress(HOST_A)
                .clock(clock)
                .rxQueueFrames(64)
                .conclude();
        final TunnelPort port = new TunnelPort("vx", VNI, 1450, ctx, new TxQueue(64));
        port.addPeer(HOST_B);
        port.addPeer(HOST_C);
        final VtepReceiver receiver = new VtepReceiver(ctx, new VtepCounters());
        receiver.add(port);
        final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));
        final List<ByteBuf> given = new ArrayList<>();
        try {
            int at = 0;
            int sinceDrain = 0;
            while (at + 3 <= input.length && given.size() < 256) {
                final int selector = input[at] & 0xFF;
                final int sender = selector % 3 == 0 ? HOST_B : selector % 3 == 1 ? HOST_C : STRANGER;
                final int length =
                        Math.min(((input[at + 1] & 0xFF) << 8) | (input[at + 2] & 0xFF), input.length - at - 3);
                final ByteBuf datagram =
                        Unpooled.directBuffer(Math.max(1, length)).writeBytes(input, at + 3, length);
                given.add(datagram);
                receiver.onDatagram(sender, datagram);
                at += 3 + length;
                if ((selector & 0x80) != 0) {
                    clock.update(clock.nanoTime() + 1_000_000_000L * (selector & 0x3F) * 10);
                }
                if (++sinceDrain == 8 || (selector & 0x40) != 0) {
                    drain(port, frame);
                    sinceDrain = 0;
                }
            }
            drain(port, frame);
            for (ByteBuf datagram : given) {
                assertEquals(0, datagram.refCnt(), "every datagram's reference given back once");
            }
        } finally {
            port.close();
        }
    }

    private static void drain(TunnelPort port, UnsafeBuffer frame) {
        for (int i = 0; i < 1_000; i++) {
            final int n = port.receive(frame, 0, frame.capacity());
            if (n == Port.RX_EMPTY) {
                return;
            }
            assertTrue(n >= VirtioNetHeader.LENGTH + 14 && n <= frame.capacity(), "frame length " + n);
        }
    }
}
