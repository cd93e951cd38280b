package io.jvswitch.control.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.api.Json;
import io.jvswitch.control.ipam.AddressPool;
import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

class DockerIpamTest {
    private static final Map<String, String> GATEWAY =
            Map.of(DockerIpam.REQUEST_ADDRESS_TYPE, DockerIpam.GATEWAY_REQUEST);

    @TempDir
    Path dir;

    private final List<Cidr> hostSubnets = new ArrayList<>();
    /** The IPv6 subnets of jvs's own networks. */
    private final List<Ipv6Cidr> jvsSubnets6 = new ArrayList<>();

    private DockerIpam ipam() {
        final DockerIpam ipam =
                new DockerIpam(dir, Json.mapper(), () -> hostSubnets, () -> jvsSubnets6, JvsNetworkAddresses.NONE);
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

    @Test
    void ipv6PoolsAreAskedForBySubnetOrTakenFromTheDefaults() {
        final DockerIpam ipam = ipam();
        assertEquals(
                Map.of("PoolID", "fd00:30::/64", "Pool", "fd00:30::/64", "Data", Map.of()),
                ipam.requestPool("jvs-local", "fd00:30::/64", "", true, Map.of()));
        // an identical request shares the pool, as for IPv4
        assertEquals(
                "fd00:30::/64",
                ipam.requestPool("jvs-local", "fd00:30::/64", "", true, Map.of())
                        .get("PoolID"));
        jvsSubnets6.add(Ipv6Cidr.parse("fd4a:7673:7769:1::/64", "subnet"));
        assertEquals(
                "fd4a:7673:7769:2::/64",
                ipam.requestPool("jvs-local", "", "", true, Map.of()).get("Pool"));
        assertEquals(
                "fd4a:7673:7769:3::/64",
                ipam.requestPool("jvs-local", "", "", true, Map.of()).get("Pool"));
        assertEquals(List.of("fd00:30::/64", "fd4a:7673:7769:2::/64", "fd4a:7673:7769:3::/64"), ipam.poolIds());
        ipam.releasePool("fd00:30::/64");
        ipam.releasePool("fd4a:7673:7769:2::/64");
        assertEquals(List.of("fd00:30::/64", "fd4a:7673:7769:3::/64"), ipam.poolIds());
        ipam.releasePool("fd00:30::/64");
        // released: the same subnet can be had again, and the freed default is picked first
        assertEquals(
                "fd4a:7673:7769:2::/64",
                ipam.requestPool("jvs-local", "", "", true, Map.of()).get("Pool"));
        assertEquals(
                "fd00:30::/64",
                ipam.requestPool("jvs-local", "fd00:30::/64", "", true, Map.of())
                        .get("Pool"));
    }

    @Test
    void overlappingIpv6SubnetsAreRefusedWithTheOtherNamed() {
        final DockerIpam ipam = ipam();
        ipam.requestPool("jvs-local", "fd00:30::/64", "", true, Map.of());
        final PluginException wide = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "fd00::/16", "", true, Map.of()));
        assertEquals(
                "subnet fd00::/16 overlaps fd00:30::/64, already a pool of the jvs IPAM driver", wide.getMessage());
        jvsSubnets6.add(Ipv6Cidr.parse("fd00:20::/64", "subnet"));
        final PluginException jvs = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "fd00:20::/80", "", true, Map.of()));
        assertEquals("subnet fd00:20::/80 overlaps fd00:20::/64, already in use on this host", jvs.getMessage());
        final PluginException bad = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "fd00:31::1/64", "", true, Map.of()));
        assertEquals(
                "invalid subnet 'fd00:31::1/64': host bits are set (did you mean fd00:31::/64?)", bad.getMessage());
        assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "fd00:32::/64", "fd00:32::/80", true, Map.of()));
        final PluginException onto = assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "", "", true, Map.of(DockerIpam.JVS_NETWORK, "multi")));
        assertTrue(onto.getMessage().startsWith("unknown jvs network 'multi'"), onto.getMessage());
        assertEquals(List.of("fd00:30::/64"), ipam.poolIds(), "a refused request makes no pool");
    }

    @Test
    void ipv6GatewayAndEndpointAddresses() {
        final DockerIpam ipam = ipam();
        final String pool = "fd00:30::/64";
        ipam.requestPool("jvs-local", pool, "", true, Map.of());
        assertEquals("fd00:30::1/64", ipam.requestAddress(pool, "", GATEWAY));
        assertEquals("fd00:30::2/64", ipam.requestAddress(pool, "", Map.of()));
        // --ip6, in any spelling
        assertEquals("fd00:30::50/64", ipam.requestAddress(pool, "fd00:30:0:0::50", Map.of()));
        final PluginException taken =
                assertThrows(PluginException.class, () -> ipam.requestAddress(pool, "fd00:30::50", Map.of()));
        assertEquals(
                "address fd00:30::50 is already in use (pool fd00:30::/64 of the jvs IPAM driver)", taken.getMessage());
        final PluginException outside =
                assertThrows(PluginException.class, () -> ipam.requestAddress(pool, "fd00:99::5", Map.of()));
        assertEquals(
                "address fd00:99::5 is outside subnet fd00:30::/64 (pool fd00:30::/64 of the jvs IPAM driver)",
                outside.getMessage());
        final PluginException gateway =
                assertThrows(PluginException.class, () -> ipam.requestAddress(pool, "fd00:30::1", Map.of()));
        assertTrue(gateway.getMessage().contains("is the gateway of fd00:30::/64"), gateway.getMessage());
        assertThrows(PluginException.class, () -> ipam.requestAddress("fd00:99::/64", "", Map.of()));
        assertEquals(List.of("fd00:30::2", "fd00:30::50"), ipam.addresses(pool));
        ipam.releaseAddress(pool, "fd00:30::2/64");
        assertFalse(ipam.inUse(pool, "fd00:30::2"));
        assertTrue(ipam.inUse(pool, "fd00:30::50"));
        ipam.releaseAddress(pool, "fd00:30::1/64"); // the gateway stays
        assertEquals("fd00:30::2/64", ipam.requestAddress(pool, "", Map.of()));
        assertEquals("fd00:30::3/64", ipam.requestAddress(pool, "", Map.of()));
        // the gateway moves only while no endpoint holds an address
        assertThrows(PluginException.class, () -> ipam.requestAddress(pool, "fd00:30::ff", GATEWAY));
        ipam.requestPool("jvs-local", "fd00:31::/64", "", true, Map.of());
        assertEquals("fd00:31::ff/64", ipam.requestAddress("fd00:31::/64", "fd00:31::ff", GATEWAY));
        assertEquals("fd00:31::1/64", ipam.requestAddress("fd00:31::/64", "", Map.of()));
    }

    @Test
    void ipv6PoolsAreKeptAcrossARestartBesideTheIpv4Ones() {
        final DockerIpam first = ipam();
        first.requestPool("jvs-local", "172.30.0.0/24", "", false, Map.of());
        first.requestPool("jvs-local", "fd00:30::/64", "", true, Map.of());
        first.requestAddress("172.30.0.0/24", "", GATEWAY);
        first.requestAddress("fd00:30::/64", "fd00:30::fe", GATEWAY);
        first.requestAddress("172.30.0.0/24", "", Map.of());
        first.requestAddress("fd00:30::/64", "", Map.of());
        first.requestAddress("fd00:30::/64", "fd00:30::50", Map.of());
        final DockerIpam second = ipam();
        assertEquals(List.of("172.30.0.0/24", "fd00:30::/64"), second.poolIds());
        assertEquals(List.of("172.30.0.2"), second.addresses("172.30.0.0/24"));
        assertEquals(List.of("fd00:30::1", "fd00:30::50"), second.addresses("fd00:30::/64"));
        assertEquals("fd00:30::2/64", second.requestAddress("fd00:30::/64", "", Map.of()));
        assertEquals("fd00:30::fe/64", second.requestAddress("fd00:30::/64", "", GATEWAY));
        assertThrows(PluginException.class, () -> second.requestPool("jvs-local", "fd00:30::/56", "", true, Map.of()));
        second.releasePool("fd00:30::/64");
        assertEquals(List.of("172.30.0.0/24"), ipam().poolIds());
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
    void anIpv6PoolCanBeADualStackJvsNetworksIpv6Side() {
        final NetworkRecord web = new NetworkRecord(
                "n3",
                3,
                "web",
                "bridge",
                "10.40.0.0/24",
                "10.40.0.1",
                null,
                null,
                false,
                1500,
                "now",
                null,
                null,
                null,
                new NetworkIpv6("fd00:40::/64", "fd00:40::1", null, null));
        final NetworkRecord v4only = new NetworkRecord(
                "n4", 4, "v4", "bridge", "10.41.0.0/24", "10.41.0.1", null, null, false, 1500, "now", null, null, null);
        // a jvs attach holds ::2 already
        final JvsNetworkAddresses jvs =
                new FixedNetworks(List.of(web, v4only), Set.of(Ipv6Cidr.parseAddress("fd00:40::2", "address")));
        // the jvs network's own subnet is in use on this host: that does not refuse its own pool
        final DockerIpam ipam = new DockerIpam(
                dir, Json.mapper(), List::of, () -> List.of(Ipv6Cidr.parse("fd00:40::/64", "subnet")), jvs);
        final String pool = "fd00:40::/64";
        assertEquals(
                pool,
                ipam.requestPool("jvs-local", "", "", true, Map.of("jvs.network", "web"))
                        .get("PoolID"));
        assertEquals(
                pool, ipam.requestPool("jvs-local", pool, "", true, Map.of()).get("PoolID"), "by its subnet");
        assertEquals("web", ipam.networkOfPool(pool));
        assertEquals("fd00:40::1/64", ipam.requestAddress(pool, "", GATEWAY));
        assertThrows(PluginException.class, () -> ipam.requestAddress(pool, "fd00:40::9", GATEWAY));
        assertEquals("fd00:40::3/64", ipam.requestAddress(pool, "", Map.of()), "not the endpoint's ::2");
        assertEquals("fd00:40::4/64", ipam.requestAddress(pool, "", Map.of()));
        ipam.releaseAddress(pool, "fd00:40::3/64");
        // refused: another subnet than the network's, a network without IPv6
        final PluginException other = assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "fd00:40::/80", "", true, Map.of("jvs.network", "web")));
        assertEquals(
                "IPv6 subnet fd00:40::/80 is not jvs network web's (fd00:40::/64): leave the IPv6 --subnet out or give"
                        + " fd00:40::/64",
                other.getMessage());
        final PluginException noIpv6 = assertThrows(
                PluginException.class, () -> ipam.requestPool("jvs-local", "", "", true, Map.of("jvs.network", "v4")));
        assertTrue(noIpv6.getMessage().startsWith("jvs network v4 has no IPv6 side"), noIpv6.getMessage());
        // kept across a restart, with the network it stands for
        final DockerIpam second = new DockerIpam(dir, Json.mapper(), List::of, List::of, jvs);
        second.load();
        assertEquals("web", second.networkOfPool(pool));
        assertEquals(List.of("fd00:40::4"), second.addresses(pool));
        assertEquals("fd00:40::3/64", second.requestAddress(pool, "", Map.of()));
        second.releasePool(pool);
        second.releasePool(pool);
        assertEquals(List.of(), second.poolIds());
    }

    @Test
    void aGlobalNetworksIpv6AddressesComeFromThisHostsBlocks() {
        final NetworkRecord global = new NetworkRecord(
                "n5",
                5,
                "g",
                "overlay",
                "10.50.0.0/24",
                "10.50.0.1",
                null,
                null,
                false,
                1450,
                "now",
                null,
                null,
                new OverlayRecord(4097, null, 4789, 64, List.of(), true),
                new NetworkIpv6("fd00:50::/64", "fd00:50::1", null, null));
        // this host's IPv6 block is the subnet's second /112 (another host holds the first), as the cluster store says
        final Ipv6Cidr block = Ipv6Cidr.parse("fd00:50::1:0/112", "block");
        final JvsNetworkAddresses jvs = new FixedNetworks(List.of(global), Set.of()) {
            @Override
            public BigInteger offerIpv6(NetworkRecord network, Ipv6Pool heldByDocker) {
                for (BigInteger a = block.address(); ; a = a.add(BigInteger.ONE)) {
                    if (!heldByDocker.inUse(a)) {
                        return a;
                    }
                }
            }
        };
        final DockerIpam ipam = new DockerIpam(dir, Json.mapper(), List::of, List::of, jvs);
        final String pool = "fd00:50::/64";
        assertEquals(
                pool,
                ipam.requestPool("jvs-global", "", "", true, Map.of("jvs.network", "g"))
                        .get("PoolID"));
        assertEquals("fd00:50::1/64", ipam.requestAddress(pool, "", GATEWAY));
        assertEquals("fd00:50::1:0/64", ipam.requestAddress(pool, "", Map.of()), "this host's block, not ::2");
        assertEquals("fd00:50::1:1/64", ipam.requestAddress(pool, "", Map.of()), "not one Docker holds");
        ipam.releaseAddress(pool, "fd00:50::1:0/64");
        assertEquals(List.of("fd00:50::1:1"), ipam.addresses(pool));
        // another IPv6 subnet than the network's is refused, and changes nothing
        final PluginException other = assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-global", "fd00:51::/64", "", true, Map.of("jvs.network", "g")));
        assertTrue(other.getMessage().contains("is not jvs network g's (fd00:50::/64)"), other.getMessage());
        assertEquals(List.of(pool), ipam.poolIds());
        // kept across a restart: the address Docker holds is not offered again
        final DockerIpam second = new DockerIpam(dir, Json.mapper(), List::of, List::of, jvs);
        second.load();
        assertEquals("fd00:50::1:0/64", second.requestAddress(pool, "", Map.of()));
        assertEquals("fd00:50::1:2/64", second.requestAddress(pool, "", Map.of()));
        // without a cluster store, a global network's IPv6 address is refused with the reason
        final DockerIpam alone = new DockerIpam(
                dir.resolve("alone"), Json.mapper(), List::of, List::of, new FixedNetworks(List.of(global), Set.of()));
        alone.requestPool("jvs-global", "", "", true, Map.of("jvs.network", "g"));
        final PluginException noStore =
                assertThrows(PluginException.class, () -> alone.requestAddress(pool, "", Map.of()));
        assertTrue(noStore.getMessage().contains("without --cluster-store"), noStore.getMessage());
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
        final JvsNetworkAddresses jvs = new FixedNetworks(List.of(v6only), Set.of());
        final DockerIpam ipam = new DockerIpam(dir, Json.mapper(), List::of, jvs);
        final PluginException refused = assertThrows(
                PluginException.class,
                () -> ipam.requestPool("jvs-local", "", "", false, Map.of("jvs.network", "v6only")));
        assertTrue(refused.getMessage().contains("is IPv6-only"), refused.getMessage());
        assertEquals(List.of(), ipam.poolIds());
    }

    /**
     * Local jvs networks as the IPAM sees them, found by name or IPv6 subnet (never by IPv4 subnet),
     * whose endpoints hold {@code held}; no IPv4 address is offered.
     */
    private static class FixedNetworks implements JvsNetworkAddresses {
        private final List<NetworkRecord> networks;
        private final Set<BigInteger> held;

        FixedNetworks(List<NetworkRecord> networks, Set<BigInteger> held) {
            this.networks = networks;
            this.held = held;
        }

        @Override
        public NetworkRecord byName(String name) {
            return networks.stream()
                    .filter(n -> n.name().equals(name))
                    .findFirst()
                    .orElse(null);
        }

        @Override
        public NetworkRecord bySubnet(Cidr subnet) {
            return null;
        }

        @Override
        public NetworkRecord byIpv6Subnet(Ipv6Cidr subnet) {
            return networks.stream()
                    .filter(n -> n.ipv6() != null && n.ipv6().subnet().equals(subnet.toString()))
                    .findFirst()
                    .orElse(null);
        }

        @Override
        public Set<BigInteger> ipv6Held(NetworkRecord network) {
            return held;
        }

        @Override
        public int offer(NetworkRecord on, AddressPool heldByDocker) {
            throw new AssertionError("no IPv4 address is asked for here");
        }
    }
}
