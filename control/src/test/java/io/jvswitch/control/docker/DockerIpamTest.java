package io.jvswitch.control.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import io.jvswitch.control.ipam.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

class DockerIpamTest {
    private static final Map<String, String> GATEWAY =
            Map.of(DockerIpam.REQUEST_ADDRESS_TYPE, DockerIpam.GATEWAY_REQUEST);

    @TempDir
    Path dir;

    private final List<Cidr> hostSubnets = new ArrayList<>();

    private DockerIpam ipam() {
        final DockerIpam ipam = new DockerIpam(dir, Json.mapper(), () -> hostSubnets);
        ipam.load();
        return ipam;
    }

    @Test
    void identicalRequestsShareOnePoolUntilTheLastRelease() {
        final DockerIpam ipam = ipam();
        assertEquals(
                "172.30.0.0/24",
                ipam.requestPool("jvs-local", "172.30.0.0/24", "", false).get("PoolID"));
        assertEquals(
                "172.30.0.0/24",
                ipam.requestPool("jvs-local", "172.30.0.0/24", "", false).get("PoolID"));
        ipam.releasePool("172.30.0.0/24");
        assertEquals(List.of("172.30.0.0/24"), ipam.poolIds());
        ipam.releasePool("172.30.0.0/24");
        assertEquals(List.of(), ipam.poolIds());
        ipam.releasePool("172.30.0.0/24"); // a repeated release is harmless
    }

    @Test
    void overlapsAreRefusedWithTheOtherSubnetNamed() {
        final DockerIpam ipam = ipam();
        ipam.requestPool("jvs-local", "172.30.0.0/24", "", false);
        final PluginException wide =
                assertThrows(PluginException.class, () -> ipam.requestPool("jvs-local", "172.30.0.0/16", "", false));
        assertEquals(
                "subnet 172.30.0.0/16 overlaps 172.30.0.0/24, already a pool of the jvs IPAM driver",
                wide.getMessage());
        hostSubnets.add(Cidr.parse("10.1.0.0/16"));
        final PluginException host =
                assertThrows(PluginException.class, () -> ipam.requestPool("jvs-local", "10.1.2.0/24", "", false));
        assertEquals("subnet 10.1.2.0/24 overlaps 10.1.0.0/16, already in use on this host", host.getMessage());
        assertThrows(PluginException.class, () -> ipam.requestPool("jvs-local", "", "", true));
        assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "172.31.0.0/24", "172.31.0.0/25", false));
        assertThrows(PluginException.class, () -> ipam.requestPool("jvs-local", "not-a-subnet", "", false));
    }

    @Test
    void withoutASubnetTheFirstFreeDefaultPoolIsPicked() {
        hostSubnets.add(Cidr.parse("172.17.0.0/16"));
        final DockerIpam ipam = ipam();
        assertEquals(
                "172.18.0.0/16", ipam.requestPool("jvs-local", "", "", false).get("Pool"));
        assertEquals(
                "172.19.0.0/16", ipam.requestPool("jvs-local", "", "", false).get("Pool"));
    }

    @Test
    void gatewayAndEndpointAddresses() {
        final DockerIpam ipam = ipam();
        ipam.requestPool("jvs-local", "172.30.0.0/24", "", false);
        assertEquals("172.30.0.1/24", ipam.requestAddress("172.30.0.0/24", "", GATEWAY));
        assertEquals("172.30.0.2/24", ipam.requestAddress("172.30.0.0/24", "", Map.of()));
        assertEquals("172.30.0.9/24", ipam.requestAddress("172.30.0.0/24", "172.30.0.9", Map.of()));
        final PluginException taken =
                assertThrows(PluginException.class, () -> ipam.requestAddress("172.30.0.0/24", "172.30.0.9", Map.of()));
        assertEquals(
                "address 172.30.0.9 is already in use (pool 172.30.0.0/24 of the jvs IPAM driver)", taken.getMessage());
        final PluginException outside =
                assertThrows(PluginException.class, () -> ipam.requestAddress("172.30.0.0/24", "10.9.9.9", Map.of()));
        assertEquals(
                "address 10.9.9.9 is outside subnet 172.30.0.0/24 (pool 172.30.0.0/24 of the jvs IPAM driver)",
                outside.getMessage());
        final PluginException gateway =
                assertThrows(PluginException.class, () -> ipam.requestAddress("172.30.0.0/24", "172.30.0.1", Map.of()));
        assertTrue(gateway.getMessage().contains("is the gateway of 172.30.0.0/24"), gateway.getMessage());
        assertThrows(PluginException.class, () -> ipam.requestAddress("10.0.0.0/8", "", Map.of()));
        ipam.releaseAddress("172.30.0.0/24", "172.30.0.2/24");
        assertFalse(ipam.inUse("172.30.0.0/24", "172.30.0.2"));
        // the lowest free address again: a restarted container gets its old one back
        assertEquals("172.30.0.2/24", ipam.requestAddress("172.30.0.0/24", "", Map.of()));
        ipam.releaseAddress("172.30.0.0/24", "172.30.0.1/24"); // the gateway stays
        assertEquals("172.30.0.3/24", ipam.requestAddress("172.30.0.0/24", "", Map.of()));
    }

    @Test
    void anotherGatewayWhileThePoolIsEmpty() {
        final DockerIpam ipam = ipam();
        ipam.requestPool("jvs-local", "172.30.0.0/24", "", false);
        assertEquals("172.30.0.254/24", ipam.requestAddress("172.30.0.0/24", "172.30.0.254", GATEWAY));
        assertEquals("172.30.0.1/24", ipam.requestAddress("172.30.0.0/24", "", Map.of()));
        assertThrows(PluginException.class, () -> ipam.requestAddress("172.30.0.0/24", "172.30.0.10", GATEWAY));
    }

    @Test
    void aRestartedDaemonHandsOutNoAddressTwice() throws Exception {
        final DockerIpam first = ipam();
        first.requestPool("jvs-local", "172.30.0.0/24", "", false);
        first.requestPool("jvs-local", "172.30.0.0/24", "", false);
        first.requestAddress("172.30.0.0/24", "172.30.0.254", GATEWAY);
        first.requestAddress("172.30.0.0/24", "", Map.of());
        final DockerIpam second = ipam();
        assertEquals(List.of("172.30.0.1"), second.addresses("172.30.0.0/24"));
        assertEquals("172.30.0.2/24", second.requestAddress("172.30.0.0/24", "", Map.of()));
        assertEquals("172.30.0.254/24", second.requestAddress("172.30.0.0/24", "", GATEWAY));
        second.releasePool("172.30.0.0/24");
        assertEquals(List.of("172.30.0.0/24"), second.poolIds(), "two networks held it");

        Files.writeString(dir.resolve("docker-ipam.json"), "{ not json");
        final IllegalStateException corrupt = assertThrows(IllegalStateException.class, this::ipam);
        assertTrue(corrupt.getMessage().contains("cannot be read"), corrupt.getMessage());
    }
}
