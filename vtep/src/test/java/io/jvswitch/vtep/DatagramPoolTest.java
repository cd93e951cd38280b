package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

class DatagramPoolTest {
    final DatagramPool pool = new DatagramPool(2, 100, 1, 1_000);

    @Test
    void boundedPerSizeAndRecycledOnRelease() {
        final ByteBuf a = pool.claim(100);
        final ByteBuf b = pool.claim(50);
        assertNotNull(a);
        assertNotNull(b);
        assertNull(pool.claim(10), "two small buffers, both out");
        final ByteBuf big = pool.claim(101);
        assertNotNull(big, "a larger datagram takes a super-frame buffer");
        assertTrue(big.capacity() >= 1_000);
        assertNull(pool.claim(500), "the one super-frame buffer is out");
        assertNull(pool.claim(1_001), "larger than any buffer");

        a.writerIndex(60);
        final ByteBuf slice = a.retainedSlice(0, 30); // as the underlay splits a segmented send
        assertFalse(a.release(), "the slice still holds it");
        assertNull(pool.claim(10));
        slice.release();
        final ByteBuf again = pool.claim(10);
        assertSame(a, again, "back in the pool once its last reference is gone");
        assertEquals(0, again.writerIndex(), "cleared");
        assertEquals(1, again.refCnt());
        again.release();
        b.release();
        big.release();
        pool.close();
    }
}
