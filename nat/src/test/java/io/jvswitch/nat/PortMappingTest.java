package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

class PortMappingTest {
    @Test
    void everyForm() {
        assertEquals(List.of(new PortMapping("tcp", "0.0.0.0", 0, 0, 0, 80)), PortMapping.parse("80"));
        assertEquals(List.of(new PortMapping("tcp", "0.0.0.0", 8080, 8080, 8080, 80)), PortMapping.parse("8080:80"));
        assertEquals(
                List.of(new PortMapping("udp", "0.0.0.0", 5353, 5353, 5353, 53)), PortMapping.parse("5353:53/udp"));
        assertEquals(
                List.of(new PortMapping("tcp", "127.0.0.1", 9000, 9000, 9000, 9000)),
                PortMapping.parse("127.0.0.1:9000:9000"));
        assertEquals(List.of(new PortMapping("tcp", "127.0.0.1", 0, 0, 0, 80)), PortMapping.parse("127.0.0.1::80"));
        assertEquals(
                List.of(
                        new PortMapping("tcp", "0.0.0.0", 7000, 7000, 7000, 7000),
                        new PortMapping("tcp", "0.0.0.0", 7001, 7001, 7001, 7001),
                        new PortMapping("tcp", "0.0.0.0", 7002, 7002, 7002, 7002)),
                PortMapping.parse("7000-7002:7000-7002"));
        assertEquals(3, PortMapping.parse("7000-7002/UDP").size());
        assertTrue(PortMapping.parse("7000-7002").get(2).needsHostPort());
        final PortMapping inRange = PortMapping.parse("8000-8010:80").get(0);
        assertTrue(inRange.needsHostPort());
        assertEquals(8000, inRange.hostPortLow());
        assertEquals(8010, inRange.hostPortHigh());
        assertEquals(
                "127.0.0.1:9000:9000/tcp",
                PortMapping.parse("127.0.0.1:9000:9000").get(0).spec());
        assertEquals("8080:80/tcp", PortMapping.parse("8080:80").get(0).spec());
        assertEquals("80/tcp", PortMapping.parse("80").get(0).spec());
    }

    @Test
    void ipv6HostAddressesInBrackets() {
        assertEquals(List.of(new PortMapping("tcp", "::1", 8080, 8080, 8080, 80)), PortMapping.parse("[::1]:8080:80"));
        assertEquals(
                List.of(new PortMapping("udp", "fd00:20::1", 0, 0, 0, 53)),
                PortMapping.parse("[fd00:20:0::1]::53/udp"));
        final PortMapping any = PortMapping.parse("[::]:8080:80").get(0);
        assertTrue(any.ipv6Host());
        assertEquals("[::]:8080:80/tcp", any.spec());
        assertEquals(PortMapping.parse(any.spec()), List.of(any));
        assertFalse(PortMapping.parse("8080:80").get(0).ipv6Host());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|empty",
                "80/sctp|protocol must be tcp or udp",
                "abc|container port 'abc' is not a number",
                "0|outside 1-65535",
                "65536:80|outside 1-65535",
                "8080:|no container port",
                ":80|empty host port",
                "1.2.3:80:80|not an IPv4 address",
                "localhost:80:80|not an IPv4 address",
                "[fe80::1%eth0]:80:80|not an IPv6 address",
                "[10.0.0.1]:80:80|not an IPv6 address",
                "[::1:80:80|in brackets",
                "[::1]:80|no container port after the host IP",
                "::1:80:80|in brackets",
                "90-80:90-80|ends before it starts",
                "7000-7002:7000-7001|the host range has 3 ports, the container range 2",
                "80-|not a number",
                "8080:80/|protocol must be tcp or udp",
            })
    void malformed(String text, String reason) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortMapping.parse(text));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(e.getMessage().contains(PortMapping.SYNTAX), e.getMessage());
    }

    @Test
    void overlaps() {
        final PortMapping any = PortMapping.parse("8080:80").get(0);
        final PortMapping local = PortMapping.parse("127.0.0.1:8080:81").get(0);
        final PortMapping otherLocal = PortMapping.parse("127.0.0.2:8080:81").get(0);
        final PortMapping udp = PortMapping.parse("8080:80/udp").get(0);
        assertTrue(any.overlaps(local));
        assertTrue(local.overlaps(any));
        assertFalse(local.overlaps(otherLocal));
        assertFalse(any.overlaps(udp));
        // 0.0.0.0 takes IPv4's addresses only; "::" IPv6's only, as in Docker.
        final PortMapping loopback6 = PortMapping.parse("[::1]:8080:82").get(0);
        final PortMapping any6 = PortMapping.parse("[::]:8080:82").get(0);
        assertFalse(any.overlaps(loopback6));
        assertTrue(any6.overlaps(loopback6));
        assertFalse(any6.overlaps(local));
        assertFalse(local.overlaps(any6));
        assertFalse(any.overlaps(any6));
        assertTrue(loopback6.overlaps(PortMapping.parse("[0::1]:8080:83").get(0)));
    }

    @Test
    void withoutHostIpADualStackEndpointPublishesOnBothFamilies() {
        assertEquals(
                List.of(
                        new PortMapping("tcp", "0.0.0.0", 8080, 8080, 8080, 80),
                        new PortMapping("tcp", "::", 8080, 8080, 8080, 80)),
                PortMapping.parse("8080:80", true));
        final List<PortMapping> picked = PortMapping.parse("8000-8010:80/udp", true);
        assertEquals(2, picked.size());
        assertTrue(picked.get(1).isIpv6TwinOf(picked.get(0)));
        assertEquals(2, PortMapping.parse("80", true).size());
        // A named host IP is published as named, on one family.
        assertEquals(1, PortMapping.parse("0.0.0.0:8080:80", true).size());
        assertEquals(1, PortMapping.parse("127.0.0.1::80", true).size());
        assertEquals(1, PortMapping.parse("[::]:8080:80", true).size());
        assertEquals(1, PortMapping.parse("8080:80", false).size());
    }

    @Test
    void aPinnedSpecIsPublishedOnItsOwnFamilyAgain() {
        for (String text : List.of("8080:80", "80", "8000-8010:80/udp", "[::]:8080:80", "127.0.0.1:9000:90")) {
            for (PortMapping m : PortMapping.parse(text)) {
                assertEquals(List.of(m), PortMapping.parse(m.pinnedSpec(), true), m.pinnedSpec());
            }
        }
    }
}
