package io.jvswitch.dns;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * One parsed DNS query, reused for every message its owner reads (one instance per thread). Parsing
 * is bounds-checked at every step and never throws: a message that is not a well-formed query
 * leaves {@link #failure()} naming why and {@link #failureRcode()} saying how to answer (or -1 to
 * drop it). Names are copied into fixed 255-byte arrays, so no input can make it allocate.
 *
 * <p>Compression pointers are followed only backwards, each hop to an offset strictly below the
 * previous one, so a pointer loop cannot make it spin: it ends as {@link DnsCounter#FORMERR_BAD_POINTER}.
 */
final class DnsQuery {
    private final byte[] name = new byte[DnsWire.MAX_NAME_LENGTH];
    private final byte[] lowerName = new byte[DnsWire.MAX_NAME_LENGTH];
    private int nameLength;
    private int nameHash;
    private int id;
    private int flags;
    private int qtype;
    private int qclass;
    private boolean questionParsed;
    private boolean hasOpt;
    private int udpSize;
    private int ednsVersion;
    private DnsCounter failure;
    private int failureRcode;
    /** Where {@link #readName} stopped reading the message (after the name or its first pointer). */
    private int nameEnd;

    /**
     * Parses the message at {@code [offset, offset + length)}.
     *
     * @return true for a well-formed IN-class QUERY with one question and EDNS version 0 (if any)
     */
    boolean parse(DirectBuffer buffer, int offset, int length) {
        questionParsed = false;
        hasOpt = false;
        udpSize = DnsWire.CLASSIC_UDP_SIZE;
        ednsVersion = 0;
        failure = null;
        failureRcode = -1;
        nameLength = 0;
        if (length < DnsWire.HEADER_LENGTH) {
            return fail(DnsCounter.DROP_TRUNCATED_HEADER, -1);
        }
        id = buffer.getShort(offset + DnsWire.ID_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        flags = buffer.getShort(offset + DnsWire.FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if ((flags & DnsWire.FLAG_QR) != 0) {
            return fail(DnsCounter.DROP_RESPONSE, -1); // answering a response could start a loop
        }
        if (opcode() != 0) {
            return fail(DnsCounter.NOTIMP_OPCODE, DnsWire.RCODE_NOTIMP);
        }
        if (u16(buffer, offset + DnsWire.QDCOUNT_OFFSET) != 1) {
            return fail(DnsCounter.FORMERR_QDCOUNT, DnsWire.RCODE_FORMERR);
        }
        final DnsCounter nameError = readName(buffer, offset, length, DnsWire.HEADER_LENGTH, true);
        if (nameError != null) {
            return fail(nameError, DnsWire.RCODE_FORMERR);
        }
        int pos = nameEnd;
        if (pos + 4 > length) {
            return fail(DnsCounter.FORMERR_TRUNCATED, DnsWire.RCODE_FORMERR);
        }
        qtype = u16(buffer, offset + pos);
        qclass = u16(buffer, offset + pos + 2);
        pos += 4;
        questionParsed = true;
        if (u16(buffer, offset + DnsWire.ANCOUNT_OFFSET) != 0 || u16(buffer, offset + DnsWire.NSCOUNT_OFFSET) != 0) {
            return fail(DnsCounter.FORMERR_COUNTS, DnsWire.RCODE_FORMERR);
        }
        // Additional records: each is at least 11 bytes, so the loop ends with the message however
        // large the count claims to be.
        final int arcount = u16(buffer, offset + DnsWire.ARCOUNT_OFFSET);
        for (int i = 0; i < arcount; i++) {
            final int recordStart = pos;
            final DnsCounter error = readName(buffer, offset, length, pos, false);
            if (error != null) {
                return fail(error, DnsWire.RCODE_FORMERR);
            }
            pos = nameEnd;
            if (pos + DnsWire.RECORD_FIXED_LENGTH > length) {
                return fail(DnsCounter.FORMERR_TRUNCATED, DnsWire.RCODE_FORMERR);
            }
            final int type = u16(buffer, offset + pos);
            final int rdLength = u16(buffer, offset + pos + 8);
            if (pos + DnsWire.RECORD_FIXED_LENGTH + rdLength > length) {
                return fail(DnsCounter.FORMERR_TRUNCATED, DnsWire.RCODE_FORMERR);
            }
            if (type == DnsWire.TYPE_OPT) {
                if (hasOpt || pos != recordStart + 1) { // a second OPT, or one not owned by the root
                    return fail(DnsCounter.FORMERR_COUNTS, DnsWire.RCODE_FORMERR);
                }
                hasOpt = true;
                udpSize = Math.max(DnsWire.CLASSIC_UDP_SIZE, u16(buffer, offset + pos + 2));
                ednsVersion = buffer.getByte(offset + pos + 5) & 0xFF;
            }
            pos += DnsWire.RECORD_FIXED_LENGTH + rdLength;
        }
        if (qclass != DnsWire.CLASS_IN) {
            return fail(DnsCounter.NOTIMP_CLASS, DnsWire.RCODE_NOTIMP);
        }
        if (hasOpt && ednsVersion != 0) {
            return fail(DnsCounter.BADVERS_EDNS, DnsWire.RCODE_NOERROR);
        }
        return true;
    }

    /**
     * Reads (and with {@code copy}, stores) the name at {@code pos}; sets {@link #nameEnd}.
     *
     * @return null, or why the name is malformed
     */
    private DnsCounter readName(DirectBuffer buffer, int offset, int length, int pos, boolean copy) {
        int out = 0;
        int end = -1;
        int bound = pos; // a pointer must go strictly below every label read so far
        int hops = 0;
        int hash = 0x811C9DC5;
        while (true) {
            if (pos >= length) {
                return DnsCounter.FORMERR_TRUNCATED;
            }
            final int len = buffer.getByte(offset + pos) & 0xFF;
            if (len == 0) {
                if (out + 1 > DnsWire.MAX_NAME_LENGTH) {
                    return DnsCounter.FORMERR_NAME_TOO_LONG;
                }
                if (copy) {
                    name[out] = 0;
                    lowerName[out] = 0;
                    hash = (hash ^ 0) * 0x01000193;
                    nameLength = out + 1;
                    nameHash = hash;
                }
                nameEnd = end < 0 ? pos + 1 : end;
                return null;
            }
            if ((len & 0xC0) == 0xC0) {
                if (pos + 2 > length) {
                    return DnsCounter.FORMERR_TRUNCATED;
                }
                final int target = ((len & 0x3F) << 8) | (buffer.getByte(offset + pos + 1) & 0xFF);
                if (end < 0) {
                    end = pos + 2;
                }
                if (target >= bound || target < DnsWire.HEADER_LENGTH || ++hops > DnsWire.MAX_POINTER_HOPS) {
                    return DnsCounter.FORMERR_BAD_POINTER;
                }
                bound = target;
                pos = target;
                continue;
            }
            if (len > DnsWire.MAX_LABEL_LENGTH) {
                return DnsCounter.FORMERR_LABEL_TOO_LONG;
            }
            if (pos + 1 + len > length) {
                return DnsCounter.FORMERR_TRUNCATED;
            }
            if (out + 1 + len + 1 > DnsWire.MAX_NAME_LENGTH) {
                return DnsCounter.FORMERR_NAME_TOO_LONG;
            }
            if (copy) {
                name[out] = (byte) len;
                lowerName[out] = (byte) len;
                hash = (hash ^ len) * 0x01000193;
                buffer.getBytes(offset + pos + 1, name, out + 1, len);
                for (int i = out + 1, last = out + len; i <= last; i++) {
                    final byte c = name[i];
                    final byte lower = c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
                    lowerName[i] = lower;
                    hash = (hash ^ (lower & 0xFF)) * 0x01000193;
                }
            }
            out += 1 + len;
            pos += 1 + len;
        }
    }

    private boolean fail(DnsCounter reason, int rcode) {
        failure = reason;
        failureRcode = rcode;
        return false;
    }

    private static int u16(DirectBuffer buffer, int index) {
        return buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    int id() {
        return id;
    }

    int flags() {
        return flags;
    }

    int opcode() {
        return (flags >>> DnsWire.OPCODE_SHIFT) & DnsWire.OPCODE_MASK;
    }

    boolean recursionDesired() {
        return (flags & DnsWire.FLAG_RD) != 0;
    }

    int qtype() {
        return qtype;
    }

    int qclass() {
        return qclass;
    }

    /** The question name as sent (wire format, original case), {@link #nameLength()} bytes. */
    byte[] name() {
        return name;
    }

    /** The question name in lower case (wire format): the key for name lookups and the cache. */
    byte[] lowerName() {
        return lowerName;
    }

    int nameLength() {
        return nameLength;
    }

    /** FNV-1a over {@link #lowerName()}, as {@link NameSnapshot} hashes its keys. */
    int nameHash() {
        return nameHash;
    }

    /** True when the question (name, type, class) was read, even if the query failed later. */
    boolean questionParsed() {
        return questionParsed;
    }

    boolean hasOpt() {
        return hasOpt;
    }

    /** The client's advertised UDP payload size, at least 512; 512 without EDNS. */
    int udpSize() {
        return udpSize;
    }

    DnsCounter failure() {
        return failure;
    }

    /** How to answer a failed parse: an rcode, or -1 to drop the message. */
    int failureRcode() {
        return failureRcode;
    }

    /** FNV-1a 32-bit over the bytes of a lower-case wire name, as the parser computes it. */
    static int hash(byte[] bytes, int offset, int length) {
        int hash = 0x811C9DC5;
        for (int i = offset; i < offset + length; i++) {
            hash = (hash ^ (bytes[i] & 0xFF)) * 0x01000193;
        }
        return hash;
    }
}
