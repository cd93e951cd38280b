package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

class InternetChecksumTest {
    @Test
    void matchesRfc1071WorkedExample() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        final UnsafeBuffer buffer = new UnsafeBuffer(SampleFrames.bytes("0001f203f4f5f6f7"));
        assertEquals(0xddf2, InternetChecksum.fold(InternetChecksum.partialSum(buffer, 0, 8, 0)));
        assertEquals(0x220d, InternetChecksum.compute(buffer, 0, 8));
    }

    @Test
    void matchesReferenceForEveryLengthAndAlignment() {
        final Random random = new Random(3);
        final byte[] data = new byte[200];
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int round = 0; round < 20; round++) {
            random.nextBytes(data);
            if (round == 0) {
                // All-ones data drives the carries hardest.
                Arrays.fill(data, (byte) 0xFF);
            }
            for (int offset = 0; offset < 8; offset++) {
                for (int length = 0; length <= 150; length++) {
                    final int expected = ReferenceChecksum.foldedSum(data, offset, offset + length);
                    final String where = "offset " + offset + " length " + length;
                    assertEquals(
                            expected,
                            InternetChecksum.fold(InternetChecksum.partialSum(buffer, offset, length, 0)),
                            where);
                    assertEquals(~expected & 0xFFFF, InternetChecksum.compute(buffer, offset, length));
                }
            }
        }
    }

    @Test
    void directBuffersAndCopyAndSumMatchTheReference() {
        final Random random = new Random(5);
        final byte[] data = new byte[1_200];
        final UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(data.length));
        final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(data.length + 16));
        final UnsafeBuffer heapCopy = new UnsafeBuffer(new byte[data.length + 16]);
        for (int round = 0; round < 12; round++) {
            random.nextBytes(data);
            if (round == 0) {
                Arrays.fill(data, (byte) 0xFF);
            }
            direct.putBytes(0, data);
            for (int offset = 0; offset < 9; offset++) {
                for (int length = 0; length <= 1_100; length += 1 + random.nextInt(13)) {
                    final int expected = ReferenceChecksum.foldedSum(data, offset, offset + length);
                    final String where = "round " + round + " offset " + offset + " length " + length;
                    final int initial = random.nextInt();
                    final int withInitial = InternetChecksum.fold((initial & 0xFFFF_FFFFL) + expected);
                    assertEquals(
                            expected,
                            InternetChecksum.fold(InternetChecksum.partialSum(direct, offset, length, 0)),
                            where);
                    assertEquals(
                            withInitial,
                            InternetChecksum.fold(InternetChecksum.partialSum(direct, offset, length, initial)),
                            where);
                    final int target = (offset * 3) % 16; // a destination at another alignment
                    for (UnsafeBuffer to : new UnsafeBuffer[] {copy, heapCopy}) {
                        to.setMemory(0, to.capacity(), (byte) 0x5A);
                        assertEquals(
                                withInitial,
                                InternetChecksum.fold(
                                        InternetChecksum.copyAndSum(direct, offset, to, target, length, initial)),
                                where);
                        for (int i = 0; i < length; i++) {
                            assertEquals(data[offset + i], to.getByte(target + i), where + " byte " + i);
                        }
                        assertEquals((byte) 0x5A, to.getByte(target + length), where + ": wrote past the end");
                    }
                }
            }
        }
    }

    @Test
    void chainingEvenRangesEqualsOneRange() {
        final Random random = new Random(4);
        final byte[] data = new byte[300];
        random.nextBytes(data);
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int split = 0; split <= 290; split += 2) {
            final int first = InternetChecksum.partialSum(buffer, 0, split, 0);
            final int chained = InternetChecksum.partialSum(buffer, split, 291 - split, first);
            assertEquals(
                    InternetChecksum.fold(InternetChecksum.partialSum(buffer, 0, 291, 0)),
                    InternetChecksum.fold(chained));
        }
    }

    @Test
    void treatsInitialAndFoldInputsAsUnsigned() {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[] {(byte) 0xFF, (byte) 0xFF});
        // 0xFFFFFFFF + 0xFFFF = 0x1_0000_FFFE -> 0x0001_0000 -> 0x0001 ... folded: 0xFFFF + 0xFFFF + 0xFFFF.
        final int sum = InternetChecksum.partialSum(buffer, 0, 2, -1);
        assertEquals(
                ReferenceChecksum.foldedSum(new byte[] {-1, -1, -1, -1, -1, -1}, 0, 6), InternetChecksum.fold(sum));
        assertEquals(0xFFFF, InternetChecksum.fold(-1));
        assertEquals(0xFFFF, InternetChecksum.fold(-1L));
        assertEquals(0x0001, InternetChecksum.fold(0x1_0000L));
        assertEquals(0, InternetChecksum.fold(0));
    }

    @Test
    void ipv4PseudoHeaderMatchesReference() {
        final Random random = new Random(5);
        for (int i = 0; i < 1000; i++) {
            final int source = random.nextInt();
            final int destination = random.nextInt();
            final int protocol = random.nextBoolean() ? Ipv4Packet.PROTOCOL_TCP : Ipv4Packet.PROTOCOL_UDP;
            final int length = random.nextInt(0x10000);
            final byte[] pseudo = ReferenceChecksum.ipv4PseudoHeader(source, destination, protocol, length);
            assertEquals(
                    ReferenceChecksum.foldedSum(pseudo, 0, pseudo.length),
                    InternetChecksum.fold(InternetChecksum.pseudoHeaderIpv4(source, destination, protocol, length)));
        }
    }

    @Test
    void ipv6PseudoHeaderMatchesReference() {
        final Random random = new Random(6);
        final byte[] addresses = new byte[40];
        final UnsafeBuffer buffer = new UnsafeBuffer(addresses);
        for (int i = 0; i < 1000; i++) {
            random.nextBytes(addresses);
            final int length = i == 0 ? -1 : random.nextInt();
            final int nextHeader = random.nextInt(256);
            // RFC 8200 8.1: source, destination, 32-bit length, 3 zero bytes, next header.
            final byte[] pseudo = new byte[40];
            System.arraycopy(addresses, 4, pseudo, 0, 16);
            System.arraycopy(addresses, 24, pseudo, 16, 16);
            pseudo[32] = (byte) (length >>> 24);
            pseudo[33] = (byte) (length >>> 16);
            pseudo[34] = (byte) (length >>> 8);
            pseudo[35] = (byte) length;
            pseudo[39] = (byte) nextHeader;
            assertEquals(
                    ReferenceChecksum.foldedSum(pseudo, 0, 40),
                    InternetChecksum.fold(InternetChecksum.pseudoHeaderIpv6(buffer, 4, 24, nextHeader, length)));
        }
    }

    @Test
    void adjust16EqualsFullRecomputation() {
        final Random random = new Random(7);
        final byte[] data = new byte[40];
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int i = 0; i < 20_000; i++) {
            random.nextBytes(data);
            sparsify(random, data, i);
            final int wordOffset = 2 + 2 * random.nextInt(19);
            final int checksum = InternetChecksum.compute(buffer, 0, 40);
            final int oldValue = buffer.getShort(wordOffset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final int newValue = pickNewValue(random, oldValue, i);
            buffer.putShort(wordOffset, (short) newValue, ByteOrder.BIG_ENDIAN);
            assertEquals(
                    InternetChecksum.compute(buffer, 0, 40),
                    InternetChecksum.adjust16(checksum, oldValue, newValue),
                    () -> "old " + oldValue + " new " + newValue);
        }
    }

    @Test
    void adjust32EqualsFullRecomputation() {
        final Random random = new Random(8);
        final byte[] data = new byte[40];
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        for (int i = 0; i < 20_000; i++) {
            random.nextBytes(data);
            sparsify(random, data, i);
            // 32-bit fields in IP/TCP headers are 16-bit aligned relative to the checksummed range.
            final int fieldOffset = 2 + 2 * random.nextInt(18);
            final int checksum = InternetChecksum.compute(buffer, 0, 40);
            final int oldValue = buffer.getInt(fieldOffset, ByteOrder.BIG_ENDIAN);
            final int newValue =
                    (pickNewValue(random, oldValue >>> 16, i) << 16) | pickNewValue(random, oldValue & 0xFFFF, i + 1);
            buffer.putInt(fieldOffset, newValue, ByteOrder.BIG_ENDIAN);
            assertEquals(
                    InternetChecksum.compute(buffer, 0, 40), InternetChecksum.adjust32(checksum, oldValue, newValue));
        }
    }

    /**
     * Mostly zero the data now and then, so sums near 0 and 0xFFFF (the negative-zero cases) are exercised. The
     * first word, never changed, stays non-zero like the version field of a real header: data that becomes all
     * zeros is the one case where eqn. 3 gives 0x0000 and recomputation 0xFFFF.
     */
    private static void sparsify(final Random random, final byte[] data, final int round) {
        data[0] |= 0x40;
        if (round % 4 == 0) {
            for (int i = 2; i < data.length; i++) {
                if (random.nextInt(8) != 0) {
                    data[i] = 0;
                }
            }
        }
    }

    private static int pickNewValue(final Random random, final int oldValue, final int round) {
        switch (round % 5) {
            case 0:
                return 0;
            case 1:
                return 0xFFFF;
            case 2:
                return ~oldValue & 0xFFFF;
            default:
                return random.nextInt(0x10000);
        }
    }
}
