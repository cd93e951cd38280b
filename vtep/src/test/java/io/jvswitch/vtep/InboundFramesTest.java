package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The tunnel's frame ring: order, wrap-around, bounds, and what each reader answer does. */
class InboundFramesTest {
    record Frame(int sender, byte[] bytes) {
    }

    static byte[] bytes(Random random, int length) {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    static boolean offer(InboundFrames ring, Frame f) {
        final UnsafeBuffer src = new UnsafeBuffer(new byte[f.bytes().length + 3]);
        src.putBytes(3, f.bytes()); // at an odd offset: the ring copies from anywhere
        return ring.offer(f.sender(), src, 3, f.bytes().length);
    }

    /** Reads every frame with CONTINUE, up to {@code limit}. */
    static List<Frame> take(InboundFrames ring, int limit) {
        final List<Frame> out = new ArrayList<>();
        ring.read((sender, buffer, offset, length) -> {
            final byte[] b = new byte[length];
            buffer.getBytes(offset, b);
            out.add(new Frame(sender, b));
            return InboundFrames.CONTINUE;
        }, limit);
        return out;
    }

    @Test
    void framesComeOutInOrderAcrossManyWrapsAndAFullRingRefuses() {
        final Random random = new Random(7);
        final InboundFrames ring = new InboundFrames(4096);
        final ArrayDeque<Frame> model = new ArrayDeque<>();
        int refused = 0;
        int wrapsSeen = 0;
        long bytesIn = 0;
        for (int round = 0; round < 20_000; round++) {
            if (random.nextInt(3) > 0) {
                final Frame f = new Frame(random.nextInt(), bytes(random, 14 + random.nextInt(600)));
                if (offer(ring, f)) {
                    model.add(f);
                    bytesIn += f.bytes().length + 8;
                } else {
                    refused++;
                    assertTrue(model.stream().mapToInt(m -> (m.bytes().length + 8 + 7) & ~7).sum()
                        + ((f.bytes().length + 8 + 7) & ~7) > 4096 - 640, "refused only when nearly full");
                }
            } else {
                final int limit = 1 + random.nextInt(5);
                final List<Frame> got = take(ring, limit);
                assertEquals(Math.min(limit, model.size()), got.size());
                for (Frame g : got) {
                    final Frame expected = model.poll();
                    assertEquals(expected.sender(), g.sender());
                    assertArrayEquals(expected.bytes(), g.bytes());
                }
            }
            wrapsSeen = (int) (bytesIn / 4096);
        }
        assertTrue(refused > 0, "the ring filled up at times");
        assertTrue(wrapsSeen > 100, "the ring wrapped many times: " + wrapsSeen);
        assertEquals(model.size(), take(ring, Integer.MAX_VALUE).size());
        assertTrue(ring.isEmpty());
    }

    @Test
    void abortLeavesTheFrameAndBreakConsumesIt() {
        final InboundFrames ring = new InboundFrames(1024);
        for (int i = 0; i < 3; i++) {
            assertTrue(offer(ring, new Frame(i, new byte[] {(byte) i, 1, 2})));
        }
        final List<Integer> seen = new ArrayList<>();
        assertEquals(1, ring.read((sender, b, o, l) -> {
            seen.add(sender);
            return sender == 0 ? InboundFrames.CONTINUE : InboundFrames.ABORT;
        }, 10));
        assertEquals(List.of(0, 1), seen);
        seen.clear();
        assertEquals(1, ring.read((sender, b, o, l) -> {
            seen.add(sender);
            return InboundFrames.BREAK;
        }, 10));
        assertEquals(List.of(1), seen, "the aborted frame comes first next time; break stops after it");
        assertEquals(1, take(ring, 10).size());
        assertTrue(ring.isEmpty());
    }

    @Test
    void aFrameLargerThanTheRingIsRefusedAndNothingChanges() {
        final InboundFrames ring = new InboundFrames(256);
        assertFalse(offer(ring, new Frame(1, new byte[300])));
        assertTrue(ring.isEmpty());
        assertTrue(offer(ring, new Frame(2, new byte[200])));
        assertFalse(offer(ring, new Frame(3, new byte[100])), "only 48 bytes left");
        assertEquals(1, take(ring, 10).size());
        assertTrue(offer(ring, new Frame(3, new byte[100])), "room again, across the end: padding, then the start");
        assertEquals(3, take(ring, 10).getFirst().sender());
    }
}
