package io.jvswitch.dns;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The forwarder's one message buffer (a whole TCP message fits), and the answers it writes there
 * that are not an upstream's own: a failure carrying the query's header and question, and a cached
 * answer under the asker's id with its TTLs aged. Owned by the forwarder's event loop.
 */
final class AnswerBuffer {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[DnsWire.MAX_TCP_MESSAGE + 2]);

    UnsafeBuffer buffer() {
        return buffer;
    }

    /** Copies a cached response in with the client's id and aged TTLs; its length, or -1 if it cannot be aged. */
    int fromCache(DnsCache.Entry hit, int clientId, long now) {
        final byte[] bytes = hit.response();
        buffer.putBytes(0, bytes);
        setId(clientId);
        final long elapsed = TimeUnit.NANOSECONDS.toSeconds(now - hit.storedNanos());
        return ResponseTtls.age(buffer, 0, bytes.length, elapsed) ? bytes.length : -1;
    }

    /** Writes an answer with {@code rcode} to the query's header and question; its length. */
    int failure(DirectBuffer query, int offset, int questionEnd, int rcode) {
        buffer.putBytes(0, query, offset, questionEnd);
        final int flags = buffer.getShort(DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        buffer.putShort(
                DnsWire.FLAGS_OFFSET,
                (short) (DnsWire.FLAG_QR | (flags & DnsWire.FLAG_RD) | DnsWire.FLAG_RA | rcode),
                ByteOrder.BIG_ENDIAN);
        buffer.putShort(DnsWire.QDCOUNT_OFFSET, (short) 1, ByteOrder.BIG_ENDIAN);
        buffer.putShort(DnsWire.ANCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(DnsWire.NSCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(DnsWire.ARCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        return questionEnd;
    }

    /** Puts the asker's transaction id on the message in the buffer. */
    void setId(int id) {
        buffer.putShort(0, (short) id, ByteOrder.BIG_ENDIAN);
    }
}
