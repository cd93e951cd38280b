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
                "[::1]:80:80|IPv6",
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
    }
}
