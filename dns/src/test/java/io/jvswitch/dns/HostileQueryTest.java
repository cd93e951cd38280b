package io.jvswitch.dns;

import static io.jvswitch.dns.TestMessages.buffer;
import static io.jvswitch.dns.TestMessages.ip;
import static io.jvswitch.dns.TestMessages.query;
import static io.jvswitch.dns.TestMessages.rcode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;

/** Malformed and unsupported queries: each answered or dropped as documented, and counted by reason. */
class HostileQueryTest {
    private final DnsCounters counters = new DnsCounters();
    private final DnsNameStore store = new DnsNameStore(100, List.of(new InetSocketAddress("192.0.2.1", 53)), counters);
    private final LocalAnswerer answerer = new LocalAnswerer(counters, 600);
    private UnsafeBuffer buffer;

    @BeforeEach
    void names() {
        store.update(
                List.of(new DnsNetwork(1, "net", ip("10.0.0.1"), false, List.of())),
                List.of(new DnsEndpointName(1, "net", "c", "rose", List.of(), ip("10.0.0.2"), null)));
    }

    private int ask(byte[] message) {
        buffer = buffer(message);
        return answerer.answer(store.current(), 1, ip("10.0.0.3"), buffer, 0, message.length, buffer.capacity(), false);
    }

    private void assertAnswered(byte[] message, int expectedRcode, DnsCounter counter) {
        final int n = ask(message);
        assertTrue(n >= DnsWire.HEADER_LENGTH, "answered, not " + n);
        assertEquals(expectedRcode, rcode(buffer));
        assertTrue((buffer.getByte(2) & 0x80) != 0, "QR set");
        assertEquals(message[0], buffer.getByte(0));
        assertEquals(message[1], buffer.getByte(1));
        assertEquals(1, counters.get(counter), counter.label());
    }

    private static byte[] header(int id, int flags, int qd, int an, int ns, int ar) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int v : new int[] {id, flags, qd, an, ns, ar}) {
            TestMessages.u16(out, v);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void truncatedHeadersAreDropped() {
        for (int length = 0; length < 12; length++) {
            assertEquals(LocalAnswerer.DROP, ask(new byte[length]));
        }
        assertEquals(12, counters.get(DnsCounter.DROP_TRUNCATED_HEADER));
    }

    @Test
    void responsesAreDropped() {
        final byte[] q = query(1, "rose", 1, 0);
        q[2] |= (byte) 0x80;
        assertEquals(LocalAnswerer.DROP, ask(q));
        assertEquals(1, counters.get(DnsCounter.DROP_RESPONSE));
    }

    @Test
    void unknownOpcodesAreNotImplemented() {
        final byte[] q = query(1, "rose", 1, 0);
        q[2] |= (byte) (2 << 3); // STATUS
        assertAnswered(q, DnsWire.RCODE_NOTIMP, DnsCounter.NOTIMP_OPCODE);
        assertEquals(2, (buffer.getByte(2) >> 3) & 0xF, "opcode echoed");
    }

    @Test
    void classesOtherThanInAreNotImplemented() {
        final byte[] q = query(1, "rose", 1, 0);
        q[q.length - 1] = 3; // CHAOS
        assertAnswered(q, DnsWire.RCODE_NOTIMP, DnsCounter.NOTIMP_CLASS);
    }

    @Test
    void questionCountsOtherThanOneAreFormErr() {
        assertAnswered(header(1, 0x0100, 0, 0, 0, 0), DnsWire.RCODE_FORMERR, DnsCounter.FORMERR_QDCOUNT);
        final byte[] two = query(2, "rose", 1, 0);
        two[5] = 2;
        ask(two);
        assertEquals(DnsWire.RCODE_FORMERR, rcode(buffer));
        assertEquals(2, counters.get(DnsCounter.FORMERR_QDCOUNT));
    }

    @Test
    void countsLargerThanThePacketAreFormErr() {
        final byte[] q = query(1, "rose", 1, 0);
        q[10] = (byte) 0xFF; // ARCOUNT 65535 with no records
        q[11] = (byte) 0xFF;
        assertAnswered(q, DnsWire.RCODE_FORMERR, DnsCounter.FORMERR_TRUNCATED);
    }

    @Test
    void answerRecordsInAQueryAreFormErr() {
        final byte[] q = query(1, "rose", 1, 0);
        q[7] = 1;
        assertAnswered(q, DnsWire.RCODE_FORMERR, DnsCounter.FORMERR_COUNTS);
    }

    @Test
    void truncatedNamesAndQuestionsAreFormErr() {
        assertAnswered(
                concat(header(1, 0, 1, 0, 0, 0), new byte[] {5, 'r', 'o'}),
                DnsWire.RCODE_FORMERR,
                DnsCounter.FORMERR_TRUNCATED);
        ask(concat(header(1, 0, 1, 0, 0, 0), new byte[] {4, 'r', 'o', 's', 'e', 0, 0})); // no type/class
        assertEquals(DnsWire.RCODE_FORMERR, rcode(buffer));
        ask(concat(header(1, 0, 1, 0, 0, 0), new byte[] {4, 'r', 'o', 's', 'e'})); // no terminating label
        assertEquals(3, counters.get(DnsCounter.FORMERR_TRUNCATED));
    }

    @Test
    void overLongLabelsAreFormErr() {
        final byte[] label = new byte[65];
        label[0] = 64;
        assertAnswered(
                concat(header(1, 0, 1, 0, 0, 0), label, new byte[] {0, 0, 1, 0, 1}),
                DnsWire.RCODE_FORMERR,
                DnsCounter.FORMERR_LABEL_TOO_LONG);
    }

    @Test
    void overLongNamesAreFormErr() {
        final ByteArrayOutputStream name = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) { // 5 x 64 = 320 bytes > 255
            name.write(63);
            name.writeBytes(new byte[63]);
        }
        name.write(0);
        assertAnswered(
                concat(header(1, 0, 1, 0, 0, 0), name.toByteArray(), new byte[] {0, 1, 0, 1}),
                DnsWire.RCODE_FORMERR,
                DnsCounter.FORMERR_NAME_TOO_LONG);
    }

    @Test
    void pointerLoopsAndForwardPointersAreFormErr() {
        // a name that is a pointer to itself
        assertAnswered(
                concat(header(1, 0, 1, 0, 0, 0), new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1}),
                DnsWire.RCODE_FORMERR,
                DnsCounter.FORMERR_BAD_POINTER);
        // a label, then a pointer back to that label: a loop through one label
        ask(concat(header(1, 0, 1, 0, 0, 0), new byte[] {1, 'a', (byte) 0xC0, 12, 0, 1, 0, 1}));
        assertEquals(DnsWire.RCODE_FORMERR, rcode(buffer));
        // a pointer past the end of the message
        ask(concat(header(1, 0, 1, 0, 0, 0), new byte[] {(byte) 0xFF, (byte) 0xFF, 0, 1, 0, 1}));
        assertEquals(3, counters.get(DnsCounter.FORMERR_BAD_POINTER));
        // an additional record whose owner name loops
        final byte[] q = query(1, "rose", 1, 0);
        q[11] = 1;
        ask(concat(q, new byte[] {(byte) 0xC0, (byte) q.length, 0, 41, 0, 0, 0, 0, 0, 0, 0, 0}));
        assertEquals(4, counters.get(DnsCounter.FORMERR_BAD_POINTER));
    }

    @Test
    void twoOptRecordsAreFormErrAndUnknownEdnsVersionsBadvers() {
        final byte[] q = query(1, "rose", 1, 1232);
        q[11] = 2;
        final byte[] opt = new byte[] {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0};
        assertAnswered(concat(q, opt), DnsWire.RCODE_FORMERR, DnsCounter.FORMERR_COUNTS);

        final byte[] v1 = query(2, "rose", 1, 1232);
        v1[v1.length - 5] = 1; // EDNS version 1
        final int n = ask(v1);
        assertEquals(DnsWire.RCODE_NOERROR, rcode(buffer));
        assertEquals(1, buffer.getByte(n - 6), "extended rcode BADVERS (16 >> 4) in the OPT record");
        assertEquals(1, counters.get(DnsCounter.BADVERS_EDNS));
    }

    @Test
    void ednsSizeBelow512CountsAs512() {
        final byte[] q = query(1, "rose", 1, 100);
        ask(q);
        assertEquals(512, answerer.query().udpSize());
    }

    @Test
    void randomBytesNeverThrowAndStillAnswerAfterwards() {
        final Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            final byte[] junk = new byte[random.nextInt(80)];
            random.nextBytes(junk);
            if (junk.length > 5 && random.nextBoolean()) {
                junk[2] &= 0x07; // mostly queries, so the parser gets past the header
                junk[4] = 0;
                junk[5] = 1;
            }
            final int n = ask(junk);
            assertTrue(n == LocalAnswerer.DROP || n == LocalAnswerer.FORWARD || (n >= 12 && n <= 512), "length " + n);
        }
        final byte[] good = query(9, "rose", 1, 0);
        assertTrue(ask(good) > 0);
        assertEquals(DnsWire.RCODE_NOERROR, rcode(buffer));
    }
}
