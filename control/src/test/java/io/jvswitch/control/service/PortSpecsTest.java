package io.jvswitch.control.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.nat.PortMapping;
import org.junit.jupiter.api.Test;

import java.util.List;

class PortSpecsTest {

    private static List<String> specs(List<PortMapping> mappings) {
        return mappings.stream().map(PortMapping::spec).toList();
    }

    @Test
    void aPortWithoutHostIpIsPublishedByTheFamiliesTheEndpointHas() {
        assertEquals(List.of("8080:80/tcp"), specs(PortSpecs.parse(List.of("8080:80"), true, false)));
        assertEquals(
                List.of("8080:80/tcp", "[::]:8080:80/tcp"), specs(PortSpecs.parse(List.of("8080:80"), true, true)));
        assertEquals(List.of("[::]:8080:80/tcp"), specs(PortSpecs.parse(List.of("8080:80"), false, true)));
        assertEquals(
                List.of("[::]::80/udp", "[::]::81/udp"), specs(PortSpecs.parse(List.of("80-81/udp"), false, true)));
    }

    @Test
    void anIpv6OnlyEndpointTakesIpv6HostAddressesOnly() {
        assertEquals(
                List.of("[::]:8080:80/tcp", "[::1]:9000:80/tcp"),
                specs(PortSpecs.parse(List.of("[::]:8080:80", "[::1]:9000:80"), false, true)));
        for (String ipv4 : List.of("0.0.0.0:8080:80", "127.0.0.1:8080:80", "10.0.0.1::80/udp")) {
            final ControlException refused =
                    assertThrows(ControlException.class, () -> PortSpecs.parse(List.of(ipv4), false, true));
            assertTrue(
                    refused.getMessage().startsWith("-p " + ipv4 + " publishes on the IPv4 host address ")
                            && refused.getMessage().contains("IPv6-only"),
                    refused.getMessage());
        }
    }

    @Test
    void overlappingMappingsAreRefused() {
        final ControlException refused = assertThrows(
                ControlException.class, () -> PortSpecs.parse(List.of("8080:80", "[::]:8080:81"), false, true));
        assertEquals("port mappings overlap: [::]:8080:80/tcp and [::]:8080:81/tcp", refused.getMessage());
        assertThrows(ControlException.class, () -> PortSpecs.parse(List.of("8080:80/x"), true, true));
    }
}
