package io.jvswitch.dns;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Reads and ages the TTLs of an upstream response, for the cache. Every step is bounds-checked; a
 * response it cannot walk is simply not cached.
 */
final class ResponseTtls {
    /** Longest a cached answer is kept, whatever its TTL says (one day, as many resolvers cap it). */
    static final int MAX_CACHE_TTL = 86_400;

    private ResponseTtls() {}

    /**
     * How long the response may be cached, in seconds, or -1 when it must not be: truncated answers,
     * errors other than NXDOMAIN, and negative answers without an SOA (RFC 2308 section 5). Positive
     * answers live for their smallest record TTL; negative ones for min(SOA TTL, SOA MINIMUM)
     * (RFC 2308 section 5).
     */
    static int cacheTtl(DirectBuffer buffer, int offset, int length) {
        if (length < DnsWire.HEADER_LENGTH) {
            return -1;
        }
        final int flags = u16(buffer, offset + DnsWire.FLAGS_OFFSET);
        final int rcode = flags & DnsWire.RCODE_MASK;
        if ((flags & DnsWire.FLAG_TC) != 0 || (rcode != DnsWire.RCODE_NOERROR && rcode != DnsWire.RCODE_NXDOMAIN)) {
            return -1;
        }
        final int answers = u16(buffer, offset + DnsWire.ANCOUNT_OFFSET);
        final int authority = u16(buffer, offset + DnsWire.NSCOUNT_OFFSET);
        final int additional = u16(buffer, offset + DnsWire.ARCOUNT_OFFSET);
        int pos = skipQuestions(buffer, offset, length);
        if (pos < 0) {
            return -1;
        }
        final boolean negative = rcode == DnsWire.RCODE_NXDOMAIN || answers == 0;
        long minTtl = Long.MAX_VALUE;
        long negativeTtl = -1;
        final int records = answers + authority + additional;
        for (int i = 0; i < records; i++) {
            pos = skipName(buffer, offset, length, pos);
            if (pos < 0 || pos + DnsWire.RECORD_FIXED_LENGTH > length) {
                return -1;
            }
            final int type = u16(buffer, offset + pos);
            final long ttl = buffer.getInt(offset + pos + 4, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
            final int rdLength = u16(buffer, offset + pos + 8);
            final int rdStart = pos + DnsWire.RECORD_FIXED_LENGTH;
            if (rdStart + rdLength > length) {
                return -1;
            }
            if (type != DnsWire.TYPE_OPT) {
                minTtl = Math.min(minTtl, ttl);
            }
            if (negative && type == DnsWire.TYPE_SOA && i >= answers && i < answers + authority) {
                // SOA RDATA: mname, rname, then serial, refresh, retry, expire, minimum (5 x 32 bits)
                int p = skipName(buffer, offset, rdStart + rdLength, rdStart);
                p = p < 0 ? -1 : skipName(buffer, offset, rdStart + rdLength, p);
                if (p < 0 || p + 20 > rdStart + rdLength) {
                    return -1;
                }
                final long minimum = buffer.getInt(offset + p + 16, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
                negativeTtl = Math.min(ttl, minimum);
            }
            pos = rdStart + rdLength;
        }
        if (negative) {
            return negativeTtl < 0 ? -1 : (int) Math.min(negativeTtl, MAX_CACHE_TTL);
        }
        return minTtl == Long.MAX_VALUE ? -1 : (int) Math.min(minTtl, MAX_CACHE_TTL);
    }

    /** Subtracts {@code elapsedSeconds} from every record's TTL but OPT's, flooring at 0. */
    static boolean age(MutableDirectBuffer buffer, int offset, int length, long elapsedSeconds) {
        int pos = skipQuestions(buffer, offset, length);
        if (pos < 0) {
            return false;
        }
        final int records = u16(buffer, offset + DnsWire.ANCOUNT_OFFSET)
                + u16(buffer, offset + DnsWire.NSCOUNT_OFFSET)
                + u16(buffer, offset + DnsWire.ARCOUNT_OFFSET);
        for (int i = 0; i < records; i++) {
            pos = skipName(buffer, offset, length, pos);
            if (pos < 0 || pos + DnsWire.RECORD_FIXED_LENGTH > length) {
                return false;
            }
            if (u16(buffer, offset + pos) != DnsWire.TYPE_OPT) {
                final long ttl = buffer.getInt(offset + pos + 4, ByteOrder.BIG_ENDIAN) & 0xFFFFFFFFL;
                buffer.putInt(offset + pos + 4, (int) Math.max(0, ttl - elapsedSeconds), ByteOrder.BIG_ENDIAN);
            }
            pos += DnsWire.RECORD_FIXED_LENGTH + u16(buffer, offset + pos + 8);
            if (pos > length) {
                return false;
            }
        }
        return true;
    }

    /** Offset just past the question section, or -1. */
    static int skipQuestions(DirectBuffer buffer, int offset, int length) {
        int pos = DnsWire.HEADER_LENGTH;
        final int questions = u16(buffer, offset + DnsWire.QDCOUNT_OFFSET);
        for (int i = 0; i < questions; i++) {
            pos = skipName(buffer, offset, length, pos);
            if (pos < 0 || pos + 4 > length) {
                return -1;
            }
            pos += 4;
        }
        return pos;
    }

    /** Offset just past the (possibly compressed) name at {@code pos}, or -1. Does not follow pointers. */
    static int skipName(DirectBuffer buffer, int offset, int length, int pos) {
        for (int labels = 0; labels <= DnsWire.MAX_NAME_LENGTH / 2; labels++) {
            if (pos >= length) {
                return -1;
            }
            final int len = buffer.getByte(offset + pos) & 0xFF;
            if (len == 0) {
                return pos + 1;
            }
            if ((len & 0xC0) == 0xC0) {
                return pos + 2 <= length ? pos + 2 : -1;
            }
            if (len > DnsWire.MAX_LABEL_LENGTH) {
                return -1;
            }
            pos += 1 + len;
        }
        return -1;
    }

    private static int u16(DirectBuffer buffer, int index) {
        return buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }
}
