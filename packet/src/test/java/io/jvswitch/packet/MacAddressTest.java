package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

class MacAddressTest {
    @Test
    void parsesToFirstOctetMostSignificant() {
        assertEquals(0x0242_ac11_0002L, MacAddress.parse("02:42:ac:11:00:02"));
        assertEquals(0x0242_ac11_0002L, MacAddress.parse("02:42:AC:11:00:02"));
        assertEquals(MacAddress.BROADCAST, MacAddress.parse("ff:ff:ff:ff:ff:ff"));
        assertEquals(0L, MacAddress.parse("00:00:00:00:00:00"));
    }

    @Test
    void formatsLowerCaseAndRoundTrips() {
        assertEquals("02:42:ac:11:00:02", MacAddress.format(0x0242_ac11_0002L));
        assertEquals("ff:ff:ff:ff:ff:ff", MacAddress.format(MacAddress.BROADCAST));
        final Random random = new Random(1);
        for (int i = 0; i < 1000; i++) {
            final long mac = random.nextLong() & MacAddress.BROADCAST;
            assertEquals(mac, MacAddress.parse(MacAddress.format(mac)));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "02-42-ac-11-00-02", "0242.ac11.0002",
                "02:42:ac:11:00:0g", "2:42:ac:11:00:002", " 02:42:ac:11:00:0", "02:42:ac:11:00:2 ", "+2:42:ac:11:00:02",
                "02:42:ac:11:00:\u0660\u0661"
            })
    void rejectsMalformedTextNamingIt(final String text) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(null));
    }

    @Test
    void classifiesAddresses() {
        assertTrue(MacAddress.isBroadcast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("33:33:00:00:00:01")));
        assertFalse(MacAddress.isBroadcast(MacAddress.parse("01:00:5e:00:00:01")));
        assertFalse(MacAddress.isMulticast(MacAddress.parse("02:42:ac:11:00:02")));
        // A set I/G bit anywhere but the first octet is not multicast.
        assertFalse(MacAddress.isMulticast(MacAddress.parse("02:01:01:01:01:01")));

        assertTrue(MacAddress.isLocallyAdministered(MacAddress.parse("02:42:ac:11:00:02")));
        assertFalse(MacAddress.isLocallyAdministered(MacAddress.parse("00:1b:21:3a:4f:10")));

        assertTrue(MacAddress.isZero(0L));
        assertFalse(MacAddress.isZero(MacAddress.parse("00:00:00:00:00:01")));
    }

    @Test
    void readsAndWritesSixBytesOnly() {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        buffer.setMemory(0, 16, (byte) 0x77);
        MacAddress.write(buffer, 3, 0x0242_ac11_0002L);

        final byte[] expected = {
            0x77, 0x77, 0x77, 0x02, 0x42, (byte) 0xac, 0x11, 0x00, 0x02, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77
        };
        assertEquals(Arrays.toString(expected), Arrays.toString(SampleFrames.copy(buffer)));
        assertEquals(0x0242_ac11_0002L, MacAddress.read(buffer, 3));

        // High bytes with the sign bit set must not sign-extend into the result.
        MacAddress.write(buffer, 10, MacAddress.BROADCAST);
        assertEquals(MacAddress.BROADCAST, MacAddress.read(buffer, 10));
    }
}
