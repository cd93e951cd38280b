package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The tunnel's ring of received frames: order, wrap-around, bounds, what each reader answer does,
 * and that every datagram reference it takes is released exactly once.
 */
class InboundFramesTest {
    /** A queued frame as the model sees it, with the datagram that carries it. */
    record Frame(int sender, byte[] bytes, ByteBuf datagram) {}

    private static final ByteBufAllocator[] ALLOCATORS = {
        PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT
    };

    static byte[] bytes(Random random, int length) {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    /**
     * A frame in a datagram of its own, behind a few bytes of something else (the ring keeps where
     * the frame starts): pooled or unpooled direct memory, or a heap array.
     */
    static Frame frame(Random random, int sender, int length) {
        final byte[] bytes = bytes(random, length);
        final int lead = random.nextInt(9);
        final int kind = random.nextInt(3);
        final ByteBuf datagram =
                kind == 2 ? Unpooled.buffer(lead + length) : ALLOCATORS[kind].directBuffer(lead + length);
        datagram.writeZero(lead).writeBytes(bytes);
        return new Frame(sender, bytes, datagram);
    }

    static boolean offer(InboundFrames ring, Frame f) {
        return ring.offer(
                f.sender(), f.datagram(), f.datagram().writerIndex() - f.bytes().length, f.bytes().length, false);
    }

    /** Queues {@code count} frames of {@code length} bytes from senders 0, 1, ...; each must fit. */
    static List<Frame> offerAll(InboundFrames ring, Random random, int count, int length) {
        final List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            frames.add(frame(random, i, length));
            assertTrue(offer(ring, frames.getLast()));
        }
        return frames;
    }

    /** Reads every frame with CONTINUE, up to {@code limit}. */
    static List<byte[]> take(InboundFrames ring, int limit) {
        final List<byte[]> out = new ArrayList<>();
        ring.read(
                (sender, buffer, offset, length, checksummed) -> {
                    final byte[] b = new byte[length];
                    buffer.getBytes(offset, b);
                    out.add(b);
                    return InboundFrames.CONTINUE;
                },
                limit);
        return out;
    }

    @Test
    void framesComeOutInOrderAcrossManyWrapsAndEachReferenceIsReleasedOnce() {
        final Random random = new Random(7);
        final InboundFrames ring = new InboundFrames(64);
        final ArrayDeque<Frame> model = new ArrayDeque<>();
        int refused = 0;
        int aborted = 0;
        long offered = 0;
        for (int round = 0; round < 50_000; round++) {
            // phases that fill the ring and phases that drain it
            final int offerPercent = (round / 2_000) % 2 == 0 ? 80 : 30;
            if (random.nextInt(100) < offerPercent) {
                final Frame f = frame(random, random.nextInt(), 14 + random.nextInt(1500));
                if (offer(ring, f)) {
                    model.add(f);
                    offered++;
                } else {
                    refused++;
                    assertEquals(64, model.size(), "refused only when full");
                    assertEquals(1, f.datagram().refCnt(), "a refused datagram stays the caller's");
                    f.datagram().release();
                }
            } else {
                // a reader that answers at random, as the coalescer does
                final int limit = 1 + random.nextInt(8);
                final List<Integer> answers = new ArrayList<>();
                final int read = ring.read(
                        (sender, buffer, offset, length, checksummed) -> {
                            final Frame expected = model.toArray(new Frame[0])[answers.size()];
                            assertEquals(expected.sender(), sender);
                            final byte[] b = new byte[length];
                            buffer.getBytes(offset, b);
                            assertArrayEquals(expected.bytes(), b);
                            assertEquals(1, expected.datagram().refCnt(), "held while queued");
                            final int answer = random.nextInt(10) == 0
                                    ? InboundFrames.ABORT
                                    : random.nextInt(10) == 0 ? InboundFrames.BREAK : InboundFrames.CONTINUE;
                            answers.add(answer);
                            return answer;
                        },
                        limit);
                int expectedRead = 0;
                for (int answer : answers) {
                    if (answer == InboundFrames.ABORT) {
                        aborted++;
                        break;
                    }
                    expectedRead++;
                }
                assertEquals(expectedRead, read);
                assertTrue(answers.size() <= limit);
                if (answers.size() < limit && answers.stream().noneMatch(a -> a != InboundFrames.CONTINUE)) {
                    assertEquals(answers.size(), model.size(), "stopped early only when empty");
                }
                for (int i = 0; i < read; i++) {
                    final Frame f = model.poll();
                    // checked before anything is allocated again: a pooled buffer's object is reused
                    assertEquals(0, f.datagram().refCnt(), "released once consumed (twice would have thrown)");
                }
                if (!model.isEmpty()) {
                    assertEquals(1, model.peek().datagram().refCnt(), "an aborted frame keeps its datagram");
                }
            }
            assertEquals(model.size(), ring.size());
        }
        assertTrue(refused > 100, "the ring filled up at times: " + refused);
        assertTrue(aborted > 100, "frames were left at times: " + aborted);
        assertTrue(offered / 64 > 300, "the ring wrapped many times: " + offered / 64);
        assertEquals(model.size(), take(ring, Integer.MAX_VALUE).size());
        assertTrue(ring.isEmpty());
        model.forEach(f -> assertEquals(0, f.datagram().refCnt()));
    }

    @Test
    void abortLeavesTheFrameAndBreakConsumesIt() {
        final InboundFrames ring = new InboundFrames(64);
        final List<Frame> frames = offerAll(ring, new Random(1), 3, 20);
        final List<Integer> seen = new ArrayList<>();
        assertEquals(
                1,
                ring.read(
                        (sender, b, o, l, c) -> {
                            seen.add(sender);
                            return sender == 0 ? InboundFrames.CONTINUE : InboundFrames.ABORT;
                        },
                        10));
        assertEquals(List.of(0, 1), seen);
        assertEquals(0, frames.get(0).datagram().refCnt());
        assertEquals(1, frames.get(1).datagram().refCnt(), "aborted: still queued, still held");
        seen.clear();
        assertEquals(
                1,
                ring.read(
                        (sender, b, o, l, c) -> {
                            seen.add(sender);
                            return InboundFrames.BREAK;
                        },
                        10));
        assertEquals(List.of(1), seen, "the aborted frame comes first next time; break stops after it");
        assertEquals(0, frames.get(1).datagram().refCnt());
        assertEquals(1, frames.get(2).datagram().refCnt());
        assertEquals(1, take(ring, 10).size());
        assertTrue(ring.isEmpty());
        frames.forEach(f -> assertEquals(0, f.datagram().refCnt()));
    }

    /**
     * Frames that share a buffer, as a coalesced read's datagrams do, each with a reference of its
     * own: whatever a read stops on (its limit, an abort, a break, a reader that throws), the
     * buffer keeps exactly one reference per frame still queued, besides its owner's.
     */
    @Test
    void framesSharingABufferGiveBackOneReferenceEachWhereverAReadStops() {
        final InboundFrames ring = new InboundFrames(64);
        final ByteBuf first = Unpooled.directBuffer(1_000).writeZero(1_000);
        final ByteBuf second =
                PooledByteBufAllocator.DEFAULT.directBuffer(1_000).writeZero(1_000);
        // 5 frames of the first read, 3 of the second, 2 of the first again (its buffer reused later)
        final ByteBuf[] order = {first, first, first, first, first, second, second, second, first, first};
        for (int i = 0; i < order.length; i++) {
            order[i].retain();
            assertTrue(ring.offer(i, order[i], 100 * i, 100, false));
        }
        assertEquals(1 + 7, first.refCnt());
        assertEquals(1 + 3, second.refCnt());

        assertEquals(2, take(ring, 2).size(), "stopped by the limit");
        assertEquals(1 + 5, first.refCnt());
        assertEquals(
                2, ring.read((sender, b, o, l, c) -> sender == 4 ? InboundFrames.ABORT : InboundFrames.CONTINUE, 10));
        assertEquals(1 + 3, first.refCnt(), "the aborted frame keeps its reference");
        assertEquals(
                3, ring.read((sender, b, o, l, c) -> sender == 6 ? InboundFrames.BREAK : InboundFrames.CONTINUE, 10));
        assertEquals(1 + 2, first.refCnt());
        assertEquals(1 + 1, second.refCnt());
        final RuntimeException thrown = new IllegalStateException("a reader that fails");
        try {
            ring.read(
                    (sender, b, o, l, c) -> {
                        if (sender == 8) {
                            throw thrown;
                        }
                        return InboundFrames.CONTINUE;
                    },
                    10);
        } catch (IllegalStateException e) {
            assertTrue(e == thrown);
        }
        assertEquals(1, second.refCnt(), "the frame read before the failure is released");
        assertEquals(1 + 2, first.refCnt(), "the frame the reader failed on stays queued");
        assertEquals(2, take(ring, 10).size());
        assertEquals(1, first.refCnt());
        assertTrue(ring.isEmpty());
        first.release();
        second.release();
    }

    @Test
    void aFullRingRefusesWhateverTheSizeAndRoomComesBackAsFramesAreRead() {
        final Random random = new Random(2);
        final InboundFrames ring = new InboundFrames(50);
        assertEquals(64, ring.capacity(), "a power of two");
        for (int i = 0; i < 64; i++) {
            assertTrue(offer(ring, frame(random, i, i % 2 == 0 ? 14 : 9_000)));
        }
        final Frame refused = frame(random, 64, 14);
        assertFalse(offer(ring, refused));
        assertEquals(1, refused.datagram().refCnt());
        assertEquals(1, take(ring, 1).size());
        assertTrue(offer(ring, refused), "one read, room for one");
        assertEquals(64, take(ring, Integer.MAX_VALUE).size());
        assertEquals(0, refused.datagram().refCnt());
    }

    @Test
    void closeReleasesWhatIsQueuedAndRefusesLaterOffers() {
        final Random random = new Random(3);
        final InboundFrames ring = new InboundFrames(64);
        final List<Frame> frames = offerAll(ring, random, 10, 100);
        assertEquals(3, take(ring, 3).size());
        assertEquals(7, ring.close());
        frames.forEach(f -> assertEquals(0, f.datagram().refCnt()));
        assertTrue(ring.isEmpty());
        final Frame late = frame(random, 11, 100);
        assertFalse(offer(ring, late), "closed");
        assertEquals(1, late.datagram().refCnt(), "a refused datagram stays the caller's");
        late.datagram().release();
        assertEquals(0, ring.close(), "idempotent");
    }
}
