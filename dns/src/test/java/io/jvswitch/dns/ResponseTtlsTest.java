package io.jvswitch.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.util.Arrays;

class ResponseTtlsTest {
    private static void u16(ByteArrayOutputStream out, int v) {
        TestMessages.u16(out, v);
    }

    private static void u32(ByteArrayOutputStream out, long v) {
        u16(out, (int) (v >>> 16));
        u16(out, (int) v);
    }

    /** A response to "x.example" A: {@code answers} A records with the given TTLs, optionally an SOA. */
    private static byte[] response(int rcode, int flags, long[] ttls, long soaTtl, long soaMinimum) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        u16(out, 1);
        u16(out, 0x8180 | flags | rcode);
        u16(out, 1);
        u16(out, ttls.length);
        u16(out, soaTtl >= 0 ? 1 : 0);
        u16(out, 0);
        out.writeBytes(NameSnapshot.wireName("x.example"));
        u16(out, 1);
        u16(out, 1);
        for (long ttl : ttls) {
            u16(out, 0xC00C);
            u16(out, 1);
            u16(out, 1);
            u32(out, ttl);
            u16(out, 4);
            u32(out, 0x0A000001);
        }
        if (soaTtl >= 0) {
            u16(out, 0xC00C + 2); // "example"
            u16(out, DnsWire.TYPE_SOA);
            u16(out, 1);
            u32(out, soaTtl);
            final byte[] mname = NameSnapshot.wireName("ns.example");
            final byte[] rname = NameSnapshot.wireName("admin.example");
            u16(out, mname.length + rname.length + 20);
            out.writeBytes(mname);
            out.writeBytes(rname);
            u32(out, 1);
            u32(out, 7200);
            u32(out, 900);
            u32(out, 1209600);
            u32(out, soaMinimum);
        }
        return out.toByteArray();
    }

    private static int ttl(byte[] message) {
        return ResponseTtls.cacheTtl(new UnsafeBuffer(message), 0, message.length);
    }

    @Test
    void positiveAnswersLiveForTheirSmallestTtl() {
        assertEquals(30, ttl(response(0, 0, new long[] {300, 30, 60}, -1, 0)));
    }

    @Test
    void negativeAnswersLiveForTheSoaMinimumOrTtlWhicheverIsSmaller() {
        assertEquals(120, ttl(response(DnsWire.RCODE_NXDOMAIN, 0, new long[0], 3600, 120)));
        assertEquals(50, ttl(response(DnsWire.RCODE_NXDOMAIN, 0, new long[0], 50, 120)));
        assertEquals(120, ttl(response(0, 0, new long[0], 3600, 120)), "NODATA too");
        assertEquals(-1, ttl(response(DnsWire.RCODE_NXDOMAIN, 0, new long[0], -1, 0)), "no SOA: not cached");
    }

    @Test
    void truncatedAndFailedAnswersAreNotCached() {
        assertEquals(-1, ttl(response(0, DnsWire.FLAG_TC, new long[] {300}, -1, 0)));
        assertEquals(-1, ttl(response(DnsWire.RCODE_SERVFAIL, 0, new long[0], -1, 0)));
        assertEquals(-1, ttl(new byte[5]));
    }

    @Test
    void longTtlsAreCappedAtADay() {
        assertEquals(ResponseTtls.MAX_CACHE_TTL, ttl(response(0, 0, new long[] {0xFFFFFFFFL}, -1, 0)));
    }

    @Test
    void agingSubtractsElapsedSecondsAndFloorsAtZero() {
        final byte[] message = response(0, 0, new long[] {300, 20}, -1, 0);
        final UnsafeBuffer buffer = new UnsafeBuffer(message);
        assertTrue(ResponseTtls.age(buffer, 0, message.length, 25));
        // first record: 300 - 25 (its TTL sits after header 12, question 15, pointer/type/class 6)
        assertEquals(275, buffer.getInt(33, ByteOrder.BIG_ENDIAN));
        // second: 20 - 25 floors at 0
        assertEquals(0, ttl(message));
    }

    @Test
    void malformedResponsesAreNotWalked() {
        final byte[] message = response(0, 0, new long[] {300}, -1, 0);
        final byte[] cut = Arrays.copyOf(message, message.length - 3);
        assertEquals(-1, ttl(cut));
    }
}
