package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void parsesSubnet() {
        Cidr c = Cidr.parse("172.19.0.0/16");
        assertEquals(0xAC130000, c.address());
        assertEquals(16, c.prefixLength());
        assertEquals(0xAC130000, c.network());
        assertEquals(0xAC13FFFF, c.broadcast());
        assertEquals(0xFFFF0000, c.netmask());
        assertEquals(65536L, c.size());
        assertEquals("172.19.0.0/16", c.toString());
    }

    @Test
    void edgePrefixes() {
        Cidr all = Cidr.parse("0.0.0.0/0");
        assertEquals(0, all.netmask());
        assertEquals(-1, all.broadcast());
        assertEquals(1L << 32, all.size());
        assertTrue(all.contains(0xFFFFFFFF));
        assertTrue(all.contains(Cidr.parse("10.0.0.0/8")));

        Cidr host = Cidr.parse("255.255.255.255/32");
        assertEquals(-1, host.netmask());
        assertEquals(-1, host.network());
        assertEquals(-1, host.broadcast());
        assertEquals(1L, host.size());
        assertEquals("255.255.255.255/32", host.toString());
    }

    @Test
    void containsAndOverlaps() {
        Cidr c = Cidr.parse("172.19.0.0/16");
        assertTrue(c.contains(Cidr.parseAddress("172.19.255.255")));
        assertFalse(c.contains(Cidr.parseAddress("172.20.0.0")));
        assertFalse(c.contains(Cidr.parseAddress("172.18.255.255")));
        assertTrue(c.contains(Cidr.parse("172.19.4.0/24")));
        assertTrue(c.contains(c));
        assertFalse(c.contains(Cidr.parse("172.16.0.0/12")));
        assertTrue(c.overlaps(Cidr.parse("172.16.0.0/12")));
        assertTrue(Cidr.parse("172.16.0.0/12").overlaps(c));
        assertTrue(c.overlaps(Cidr.parse("172.19.128.0/17")));
        assertFalse(c.overlaps(Cidr.parse("172.20.0.0/16")));
        // unsigned high addresses
        Cidr high = Cidr.parse("224.0.0.0/4");
        assertTrue(high.contains(Cidr.parseAddress("239.255.255.250")));
        assertFalse(high.contains(Cidr.parseAddress("240.0.0.1")));
    }

    @Test
    void recordEqualityAndConstructorValidation() {
        assertEquals(new Cidr(0x0A000000, 8), Cidr.parse("10.0.0.0/8"));
        assertEquals(
                "invalid subnet 10.0.0.1/8: host bits are set (did you mean 10.0.0.0/8?)",
                error(() -> new Cidr(0x0A000001, 8)));
        assertEquals("invalid subnet 10.0.0.0/33: prefix length must be 0-32", error(() -> new Cidr(0x0A000000, 33)));
    }

    @Test
    void badSubnetMessages() {
        assertEquals(
                "invalid subnet '172.19.0.0/33': prefix length must be 0-32", error(() -> Cidr.parse("172.19.0.0/33")));
        assertEquals(
                "invalid subnet '172.19.0.1/16': host bits are set (did you mean 172.19.0.0/16?)",
                error(() -> Cidr.parse("172.19.0.1/16")));
        assertTrue(error(() -> Cidr.parse("300.1.1.1/8"))
                .startsWith("invalid subnet '300.1.1.1/8': '300' is not an IPv4 octet"));
        assertEquals(
                "invalid subnet '172.19.0.0': missing prefix length (expected an IPv4 network like 172.19.0.0/16)",
                error(() -> Cidr.parse("172.19.0.0")));
        assertEquals(
                "invalid ip-range '10.0.0.0/x': prefix length must be 0-32",
                error(() -> Cidr.parse("10.0.0.0/x", "ip-range")));
        assertTrue(error(() -> Cidr.parse(null)).startsWith("invalid subnet 'null': empty"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "/16",
                "10.0.0.0/",
                "10.0.0.0/-1",
                "10.0.0.0/08",
                "10.0.0.0/+8",
                "10.0.0.0/8/8",
                " 10.0.0.0/8",
                "10.0.0.0/8 ",
                "10.0.0/8",
                "10.0.0.0.0/8",
                "10.0..0/8",
                "0x0A.0.0.0/8",
                "10.0.0.0/100",
                "10.0.0.0 /8"
            })
    void rejectsMalformedSubnets(String text) {
        String msg = error(() -> Cidr.parse(text));
        assertTrue(msg.startsWith("invalid subnet '" + text + "': "), msg);
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.1,        0x0A000001",
        "0.0.0.0,         0x00000000",
        "255.255.255.255, 0xFFFFFFFF",
        "172.17.0.2,      0xAC110002",
        "192.168.240.1,   0xC0A8F001"
    })
    void parsesAndFormatsAddresses(String text, String hex) {
        int expected = Integer.parseUnsignedInt(hex.substring(2), 16);
        assertEquals(expected, Cidr.parseAddress(text));
        assertEquals(text, Cidr.format(expected));
    }

    @Test
    void badAddressMessages() {
        assertEquals(
                "invalid address '10.0.0.256': '256' is not an IPv4 octet (0-255)",
                error(() -> Cidr.parseAddress("10.0.0.256")));
        assertEquals(
                "invalid gateway '10.0.0': expected 4 dot-separated octets (like 10.0.0.1)",
                error(() -> Cidr.parseAddress("10.0.0", "gateway")));
        assertEquals(
                "invalid address '10.0.0.1.2': expected 4 dot-separated octets (like 10.0.0.1)",
                error(() -> Cidr.parseAddress("10.0.0.1.2")));
        assertEquals(
                "invalid address '10.a.0.1': 'a' is not an IPv4 octet (0-255)",
                error(() -> Cidr.parseAddress("10.a.0.1")));
        assertEquals(
                "invalid address '10.010.0.1': octet '010' has a leading zero (write 10)",
                error(() -> Cidr.parseAddress("10.010.0.1")));
        assertEquals(
                "invalid address '10..0.1': empty octet (expected 4 dot-separated octets, like 10.0.0.1)",
                error(() -> Cidr.parseAddress("10..0.1")));
        assertEquals("invalid address '': no IPv4 address given", error(() -> Cidr.parseAddress("")));
        assertEquals("invalid address 'null': no IPv4 address given", error(() -> Cidr.parseAddress(null)));
        assertEquals(
                "invalid address '1.2.3.4444': '4444' is not an IPv4 octet (0-255)",
                error(() -> Cidr.parseAddress("1.2.3.4444")));
        assertEquals(
                "invalid address '1.2.3.-4': '-4' is not an IPv4 octet (0-255)",
                error(() -> Cidr.parseAddress("1.2.3.-4")));
        assertEquals(
                "invalid address '1.2.3.4.': expected 4 dot-separated octets (like 10.0.0.1)",
                error(() -> Cidr.parseAddress("1.2.3.4.")));
    }
}
