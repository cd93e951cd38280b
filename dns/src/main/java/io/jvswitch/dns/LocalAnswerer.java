package io.jvswitch.dns;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Answers a query from the local names, in place over the query's own bytes, allocating nothing:
 * the hot path of the responder. One instance per thread (it keeps the parsed query and the
 * rotation counter).
 *
 * <p>Outcomes: an answer (A, AAAA, PTR from the names of every network the asking container is on;
 * NODATA for a local name asked for a type it has none of); an error answer for a malformed or
 * unsupported query (FORMERR, NOTIMP, BADVERS); REFUSED for a non-local name on an internal
 * network; SERVFAIL when there is nowhere to forward to; {@link #FORWARD} for the rest; {@link
 * #DROP} for what must not be answered at all (shorter than a header, or a response).
 *
 * <p>Classes other than IN get NOTIMP rather than REFUSED: the server does not implement them at
 * all, which is what NOTIMP says, while REFUSED reads as a policy decision about this client.
 */
final class LocalAnswerer {
    static final int DROP = -1;
    static final int FORWARD = -2;
    /** Most records in one answer: bounds the scratch array; a name rarely has more than a few. */
    static final int MAX_ANSWER_RECORDS = 256;

    private final DnsQuery query = new DnsQuery();
    private final int[] picked = new int[MAX_ANSWER_RECORDS];
    private final DnsCounters counters;
    private final int ttlSeconds;
    private int rotation;
    private int lastRcode;

    LocalAnswerer(DnsCounters counters, int ttlSeconds) {
        this.counters = counters;
        this.ttlSeconds = ttlSeconds;
    }

    /**
     * Answers the query at {@code [offset, offset + length)} over itself.
     *
     * @param capacity room for the answer from {@code offset}
     * @param tcp the query came over TCP: the answer may be up to 65535 bytes, else the client's
     *     UDP size (512 without EDNS) caps it and TC marks what did not fit
     * @return the answer's length, {@link #FORWARD} (the query is untouched) or {@link #DROP}
     */
    int answer(
            NameSnapshot names,
            int networkId,
            int clientIp,
            MutableDirectBuffer buffer,
            int offset,
            int length,
            int capacity,
            boolean tcp) {
        if (!query.parse(buffer, offset, length)) {
            counters.increment(query.failure());
            if (query.failureRcode() < 0) {
                lastRcode = -1;
                return DROP;
            }
            return writeHeaderAndQuestion(
                    buffer,
                    offset,
                    limit(capacity, tcp),
                    query.failureRcode(),
                    0,
                    query.failure() == DnsCounter.BADVERS_EDNS ? DnsWire.EXTENDED_RCODE_BADVERS_HIGH : 0);
        }
        final int limit = limit(capacity, tcp);
        final int key = names.find(query.lowerName(), query.nameLength(), query.nameHash());
        if (key >= 0) {
            final int asker = names.asker(networkId, clientIp);
            final int qtype = query.qtype();
            boolean visible = false;
            int count = 0;
            for (int r = names.firstRecord(key), end = r + names.recordCount(key); r < end; r++) {
                if (names.visible(asker, networkId, names.recordNetwork(r))) {
                    visible = true;
                    final int type = names.recordType(r);
                    if ((type == qtype || (qtype == DnsWire.TYPE_ANY && type != DnsWire.TYPE_PTR))
                            && count < picked.length) {
                        picked[count++] = r;
                    }
                }
            }
            if (visible) {
                counters.increment(count == 0 ? DnsCounter.NODATA_LOCAL : DnsCounter.ANSWERED_LOCAL);
                return writeAnswer(names, buffer, offset, limit, count);
            }
        }
        final int flags = names.networkFlags(networkId);
        if ((flags & NameSnapshot.NETWORK_INTERNAL) != 0) {
            counters.increment(DnsCounter.REFUSED_INTERNAL);
            return writeHeaderAndQuestion(buffer, offset, limit, DnsWire.RCODE_REFUSED, 0, 0);
        }
        if ((flags & NameSnapshot.NETWORK_HAS_UPSTREAM) == 0) {
            counters.increment(DnsCounter.SERVFAIL_NO_UPSTREAM);
            return writeHeaderAndQuestion(buffer, offset, limit, DnsWire.RCODE_SERVFAIL, 0, 0);
        }
        lastRcode = -1;
        return FORWARD;
    }

    private int limit(int capacity, boolean tcp) {
        return Math.min(capacity, tcp ? DnsWire.MAX_TCP_MESSAGE : query.udpSize());
    }

    private int writeAnswer(NameSnapshot names, MutableDirectBuffer buffer, int offset, int limit, int count) {
        final int questionEnd = writeQuestion(buffer, offset);
        final int reserve = query.hasOpt() ? DnsWire.OPT_RECORD_LENGTH : 0;
        int pos = questionEnd;
        int written = 0;
        boolean truncated = false;
        if (count > 0) {
            final int start = (rotation++ & Integer.MAX_VALUE) % count;
            final byte[] rdata = names.rdata();
            for (int i = 0; i < count; i++) {
                final int r = picked[(start + i) % count];
                final int rdLength = names.recordRdLength(r);
                if (pos + 2 + DnsWire.RECORD_FIXED_LENGTH + rdLength + reserve - offset > limit) {
                    truncated = true;
                    break;
                }
                buffer.putShort(pos, (short) (0xC000 | DnsWire.HEADER_LENGTH), ByteOrder.BIG_ENDIAN);
                buffer.putShort(pos + 2, (short) names.recordType(r), ByteOrder.BIG_ENDIAN);
                buffer.putShort(pos + 4, (short) DnsWire.CLASS_IN, ByteOrder.BIG_ENDIAN);
                buffer.putInt(pos + 6, ttlSeconds, ByteOrder.BIG_ENDIAN);
                buffer.putShort(pos + 10, (short) rdLength, ByteOrder.BIG_ENDIAN);
                if (names.recordType(r) == DnsWire.TYPE_A) {
                    buffer.putInt(pos + 12, names.recordValue(r), ByteOrder.BIG_ENDIAN);
                } else {
                    buffer.putBytes(pos + 12, rdata, names.recordValue(r), rdLength);
                }
                pos += 12 + rdLength;
                written++;
            }
        }
        if (truncated) {
            counters.increment(DnsCounter.TRUNCATED_LOCAL);
        }
        pos = writeOpt(buffer, pos, 0);
        writeHeader(buffer, offset, DnsWire.RCODE_NOERROR, true, truncated, 1, written, query.hasOpt() ? 1 : 0);
        lastRcode = DnsWire.RCODE_NOERROR;
        return pos - offset;
    }

    /** An answer without records: the question (when it was read) and the OPT record (when asked). */
    private int writeHeaderAndQuestion(
            MutableDirectBuffer buffer, int offset, int limit, int rcode, int answers, int extendedRcode) {
        int pos = offset + DnsWire.HEADER_LENGTH;
        int questions = 0;
        if (query.questionParsed() && DnsWire.HEADER_LENGTH + query.nameLength() + 4 <= limit) {
            pos = writeQuestion(buffer, offset);
            questions = 1;
        }
        int additional = 0;
        if (query.hasOpt() && pos + DnsWire.OPT_RECORD_LENGTH - offset <= limit) {
            pos = writeOpt(buffer, pos, extendedRcode);
            additional = 1;
        }
        writeHeader(buffer, offset, rcode, false, false, questions, answers, additional);
        lastRcode = rcode;
        return pos - offset;
    }

    private int writeQuestion(MutableDirectBuffer buffer, int offset) {
        int pos = offset + DnsWire.HEADER_LENGTH;
        buffer.putBytes(pos, query.name(), 0, query.nameLength());
        pos += query.nameLength();
        buffer.putShort(pos, (short) query.qtype(), ByteOrder.BIG_ENDIAN);
        buffer.putShort(pos + 2, (short) query.qclass(), ByteOrder.BIG_ENDIAN);
        return pos + 4;
    }

    private int writeOpt(MutableDirectBuffer buffer, int pos, int extendedRcode) {
        if (!query.hasOpt()) {
            return pos;
        }
        buffer.putByte(pos, (byte) 0);
        buffer.putShort(pos + 1, (short) DnsWire.TYPE_OPT, ByteOrder.BIG_ENDIAN);
        buffer.putShort(pos + 3, (short) DnsWire.ADVERTISED_UDP_SIZE, ByteOrder.BIG_ENDIAN);
        buffer.putInt(pos + 5, extendedRcode << 24, ByteOrder.BIG_ENDIAN); // version 0, DO clear
        buffer.putShort(pos + 9, (short) 0, ByteOrder.BIG_ENDIAN);
        return pos + DnsWire.OPT_RECORD_LENGTH;
    }

    private void writeHeader(
            MutableDirectBuffer buffer,
            int offset,
            int rcode,
            boolean authoritative,
            boolean truncated,
            int questions,
            int answers,
            int additional) {
        final int flags = DnsWire.FLAG_QR
                | (query.flags() & (DnsWire.OPCODE_MASK << DnsWire.OPCODE_SHIFT))
                | (authoritative ? DnsWire.FLAG_AA : 0)
                | (truncated ? DnsWire.FLAG_TC : 0)
                | (query.flags() & DnsWire.FLAG_RD)
                | DnsWire.FLAG_RA
                | rcode;
        buffer.putShort(offset + DnsWire.FLAGS_OFFSET, (short) flags, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + DnsWire.QDCOUNT_OFFSET, (short) questions, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + DnsWire.ANCOUNT_OFFSET, (short) answers, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + DnsWire.NSCOUNT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + DnsWire.ARCOUNT_OFFSET, (short) additional, ByteOrder.BIG_ENDIAN);
    }

    /** The query this answerer parsed last (for the forwarder and the tests). */
    DnsQuery query() {
        return query;
    }

    /** The rcode of the last answer, -1 after a drop or a forward. */
    int lastRcode() {
        return lastRcode;
    }
}
