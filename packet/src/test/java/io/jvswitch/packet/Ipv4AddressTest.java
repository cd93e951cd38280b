package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

class Ipv4AddressTest {
    @Test
    void parsesDottedQuad() {
        assertEquals(0x0a00_0001, Ipv4Address.parse("10.0.0.1"));
        assertEquals(0xc0a8_0001, Ipv4Address.parse("192.168.0.1"));
        assertEquals(0, Ipv4Address.parse("0.0.0.0"));
        assertEquals(0xFFFF_FFFF, Ipv4Address.parse("255.255.255.255"));
    }

    @Test
    void formatsAndRoundTrips() {
        assertEquals("192.168.0.1", Ipv4Address.format(0xc0a8_0001));
        assertEquals("255.255.255.255", Ipv4Address.format(-1));
        final Random random = new Random(2);
        for (int i = 0; i < 1000; i++) {
            final int address = random.nextInt();
            assertEquals(address, Ipv4Address.parse(Ipv4Address.format(address)));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "10.0.0",
                "10.0.0.1.2",
                "10.0.0.256",
                "10..0.1",
                ".10.0.0",
                "10.0.0.",
                "010.0.0.1",
                "10.0.0.01",
                "1a.0.0.1",
                " 10.0.0.1",
                "10.0.0.1 ",
                "-1.0.0.1",
                "+1.0.0.1",
                "1000.0.0.1",
                "10.0.0.1/24",
                "1.2.3.\u0664"
            })
    void rejectsMalformedTextNamingIt(final String text) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void netmaskHasPrefixLengthLeadingOnes() {
        assertEquals(0, Ipv4Address.netmask(0));
        assertEquals(0xFFFF_FF00, Ipv4Address.netmask(24));
        assertEquals(-1, Ipv4Address.netmask(32));
        for (int prefix = 0; prefix <= 32; prefix++) {
            final int mask = Ipv4Address.netmask(prefix);
            assertEquals(prefix, Integer.bitCount(mask));
            assertEquals(prefix, Integer.numberOfLeadingZeros(~mask));
        }
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.netmask(-1));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.netmask(33));
    }

    @Test
    void multicastIs224Slash4() {
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("224.0.0.1")));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("239.255.255.250")));
        assertFalse(Ipv4Address.isMulticast(Ipv4Address.parse("223.255.255.255")));
        assertFalse(Ipv4Address.isMulticast(Ipv4Address.parse("240.0.0.0")));
        assertFalse(Ipv4Address.isMulticast(Ipv4Address.LIMITED_BROADCAST));
    }
}
