package io.jvswitch.dns;

/**
 * DNS message layout (RFC 1035 section 4.1) and the codes this responder uses. Header fields are
 * big-endian at fixed offsets; names are sequences of length-prefixed labels ending in a zero
 * byte, or in a compression pointer (two bytes, top bits {@code 11}).
 */
final class DnsWire {
    static final int ID_OFFSET = 0;
    static final int FLAGS_OFFSET = 2;
    static final int QDCOUNT_OFFSET = 4;
    static final int ANCOUNT_OFFSET = 6;
    static final int NSCOUNT_OFFSET = 8;
    static final int ARCOUNT_OFFSET = 10;
    static final int HEADER_LENGTH = 12;

    static final int FLAG_QR = 0x8000;
    static final int OPCODE_SHIFT = 11;
    static final int OPCODE_MASK = 0xF;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_TC = 0x0200;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;
    static final int RCODE_MASK = 0xF;

    static final int RCODE_NOERROR = 0;
    static final int RCODE_FORMERR = 1;
    static final int RCODE_SERVFAIL = 2;
    static final int RCODE_NXDOMAIN = 3;
    static final int RCODE_NOTIMP = 4;
    static final int RCODE_REFUSED = 5;
    /** Extended rcode 16 (RFC 6891): the upper 8 bits (value 1) go in the OPT record's TTL. */
    static final int EXTENDED_RCODE_BADVERS_HIGH = 1;

    static final int TYPE_A = 1;
    static final int TYPE_SOA = 6;
    static final int TYPE_PTR = 12;
    static final int TYPE_AAAA = 28;
    static final int TYPE_OPT = 41;
    static final int TYPE_ANY = 255;
    static final int CLASS_IN = 1;

    static final int MAX_NAME_LENGTH = 255;
    static final int MAX_LABEL_LENGTH = 63;
    /** A name of 255 bytes has at most 127 labels, so more pointer hops than that is a loop. */
    static final int MAX_POINTER_HOPS = 127;

    /** RFC 1035 UDP limit, and the floor for an EDNS advertised size (RFC 6891 section 6.2.3). */
    static final int CLASSIC_UDP_SIZE = 512;
    /** What this responder advertises in its own OPT records (DNS flag day 2020 value). */
    static final int ADVERTISED_UDP_SIZE = 1232;
    /** Largest message a TCP frame's two-byte length can carry. */
    static final int MAX_TCP_MESSAGE = 65_535;

    /** Bytes of an OPT record with empty RDATA: root name, type, class, TTL, RDLENGTH. */
    static final int OPT_RECORD_LENGTH = 11;
    /** Bytes of a record's fixed part after its name: type, class, TTL, RDLENGTH. */
    static final int RECORD_FIXED_LENGTH = 10;

    private DnsWire() {}
}
