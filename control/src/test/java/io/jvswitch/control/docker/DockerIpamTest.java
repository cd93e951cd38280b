package io.jvswitch.control.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
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
                ipam.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of())
                        .get("PoolID"));
        assertEquals(
                "172.30.0.0/24",
                ipam.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of())
                        .get("PoolID"));
        ipam.releasePool("172.30.0.0/24");
        assertEquals(List.of("172.30.0.0/24"), ipam.poolIds());
        ipam.releasePool("172.30.0.0/24");
        assertEquals(List.of(), ipam.poolIds());
        ipam.releasePool("172.30.0.0/24"); // a repeated release is harmless
    }

    @Test
    void overlapsAreRefusedWithTheOtherSubnetNamed() {
        final DockerIpam ipam = ipam();
        ipam.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of());
        final PluginException wide = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "172.30.0.0/16", "", false, Map.of()));
        assertEquals(
                "subnet 172.30.0.0/16 overlaps 172.30.0.0/24, already a pool of the jvs IPAM driver",
                wide.getMessage());
        hostSubnets.add(Cidr.parse("10.1.0.0/16"));
        final PluginException host = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "10.1.2.0/24", "", false, Map.of()));
        assertEquals("subnet 10.1.2.0/24 overlaps 10.1.0.0/16, already in use on this host", host.getMessage());
        assertThrows(PluginException.class, () -> ipam.requestPool("jvs-local", "", "", true, Map.of()));
        assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "172.31.0.0/24", "172.31.0.0/25", false, Map.of()));
        assertThrows(PluginException.class, () -> ipam.requestPool("jvs-local", "not-a-subnet", "", false, Map.of()));
    }

    @Test
    void withoutASubnetTheFirstFreeDefaultPoolIsPicked() {
        hostSubnets.add(Cidr.parse("172.17.0.0/16"));
        final DockerIpam ipam = ipam();
        assertEquals(
                "172.18.0.0/16",
                ipam.requestPool("jvs-local", "", "", false, Map.of()).get("Pool"));
        assertEquals(
                "172.19.0.0/16",
                ipam.requestPool("jvs-local", "", "", false, Map.of()).get("Pool"));
    }

    @Test
    void gatewayAndEndpointAddresses() {
        final DockerIpam ipam = ipam();
        ipam.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of());
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
        ipam.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of());
        assertEquals("172.30.0.254/24", ipam.requestAddress("172.30.0.0/24", "172.30.0.254", GATEWAY));
        assertEquals("172.30.0.1/24", ipam.requestAddress("172.30.0.0/24", "", Map.of()));
        assertThrows(PluginException.class, () -> ipam.requestAddress("172.30.0.0/24", "172.30.0.10", GATEWAY));
    }

    @Test
    void aRestartedDaemonHandsOutNoAddressTwice() throws Exception {
        final DockerIpam first = ipam();
        first.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of());
        first.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of());
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

    /** One jvs network, 10.30.0.0/24, whose endpoints hold .2 (say, on another host): what the IPAM sees of jvs. */
    private static final class OneNetwork implements JvsNetworkAddresses {
        final NetworkRecord network = new NetworkRecord(
                "n1",
                1,
                "multi",
                "overlay",
                "10.30.0.0/24",
                "10.30.0.1",
                null,
                null,
                false,
                1450,
                "now",
                null,
                null,
                null);

        @Override
        public NetworkRecord byName(String name) {
            return name.equals("multi") ? network : null;
        }

        @Override
        public NetworkRecord bySubnet(Cidr subnet) {
            return subnet.toString().equals("10.30.0.0/24") ? network : null;
        }

        @Override
        public int offer(NetworkRecord on, AddressPool heldByDocker) {
            for (int last = 2; last < 255; last++) {
                final int ip = Cidr.parseAddress("10.30.0." + last);
                if (last != 2 && heldByDocker.isFree(ip)) {
                    return ip;
                }
            }
            throw new PluginException("full");
        }
    }

    @Test
    void aPoolCanBeAnExistingJvsNetworks() {
        final OneNetwork jvs = new OneNetwork();
        final DockerIpam ipam = new DockerIpam(dir, Json.mapper(), () -> List.of(Cidr.parse("10.30.0.0/24")), jvs);
        // by its exact subnet (which would otherwise overlap it), or named by the IPAM option
        assertEquals(
                "10.30.0.0/24",
                ipam.requestPool("jvs-local", "10.30.0.0/24", "", false, Map.of())
                        .get("PoolID"));
        assertEquals(
                "10.30.0.0/24",
                ipam.requestPool("jvs-local", "", "", false, Map.of("jvs.network", "multi"))
                        .get("Pool"));
        assertEquals("multi", ipam.networkOfPool("10.30.0.0/24"));
        final PluginException unknown = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "", "", false, Map.of("jvs.network", "x")));
        assertTrue(unknown.getMessage().startsWith("unknown jvs network 'x'"), unknown.getMessage());
        final PluginException other = assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "10.30.0.0/25", "", false, Map.of("jvs.network", "multi")));
        assertTrue(other.getMessage().contains("is not jvs network multi's (10.30.0.0/24)"), other.getMessage());
        // the gateway is the network's, and only that one
        assertEquals("10.30.0.1/24", ipam.requestAddress("10.30.0.0/24", "", GATEWAY));
        assertThrows(PluginException.class, () -> ipam.requestAddress("10.30.0.0/24", "10.30.0.9", GATEWAY));
        // addresses the network offers, never one handed out to Docker and not released yet
        assertEquals("10.30.0.3/24", ipam.requestAddress("10.30.0.0/24", "", Map.of()));
        assertEquals("10.30.0.4/24", ipam.requestAddress("10.30.0.0/24", "", Map.of()));
        ipam.releaseAddress("10.30.0.0/24", "10.30.0.3/24");
        // kept across a restart, with the network it stands for
        final DockerIpam second = new DockerIpam(dir, Json.mapper(), List::of, jvs);
        second.load();
        assertEquals("multi", second.networkOfPool("10.30.0.0/24"));
        assertEquals(List.of("10.30.0.4"), second.addresses("10.30.0.0/24"));
        assertEquals("10.30.0.3/24", second.requestAddress("10.30.0.0/24", "", Map.of()));
        second.releasePool("10.30.0.0/24");
        second.releasePool("10.30.0.0/24");
        assertEquals(List.of(), second.poolIds());
    }

    @Test
    void aPoolCannotBeAnIpv6OnlyJvsNetwork() {
        final NetworkRecord v6only = new NetworkRecord(
                "n2",
                2,
                "v6only",
                "bridge",
                null,
                null,
                null,
                null,
                false,
                1500,
                "now",
                null,
                null,
                null,
                new NetworkIpv6("fd00:21::/64", "fd00:21::1", null, null));
        final JvsNetworkAddresses jvs = new JvsNetworkAddresses() {
            @Override
            public NetworkRecord byName(String name) {
                return name.equals("v6only") ? v6only : null;
            }

            @Override
            public NetworkRecord bySubnet(Cidr subnet) {
                return null;
            }

            @Override
            public int offer(NetworkRecord on, AddressPool heldByDocker) {
                throw new AssertionError("no address of an IPv6-only network is offered");
            }
        };
        final DockerIpam ipam = new DockerIpam(dir, Json.mapper(), List::of, jvs);
        final PluginException refused = assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "", "", false, Map.of("jvs.network", "v6only")));
        assertTrue(refused.getMessage().contains("is IPv6-only"), refused.getMessage());
        assertEquals(List.of(), ipam.poolIds());
    }
}
