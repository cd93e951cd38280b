package io.jvswitch.control.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6Pool;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The IPv6 side of cluster mode without a store: the records (old ones without IPv6 still parse),
 * the IPv6 blocks and which address a host takes from its own, {@code --cluster-advertise} of
 * either family and the one-family rule. The claims themselves, made in real etcd, are in
 * ClusterIpv6IT.
 */
class ClusterIpv6Test {
    final ClusterKeys keys = new ClusterKeys("/jvs/v1/");
    final ClusterView view = new ClusterView(keys);
    long revision;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static BigInteger ip6(String text) {
        return Ipv6Cidr.parseAddress(text, "test");
    }

    static NetworkRecord network() {
        return new NetworkRecord(
                        "0123456789abcdef",
                        1,
                        "g6",
                        "overlay",
                        "10.30.0.0/16",
                        "10.30.0.1",
                        null,
                        Map.of(),
                        false,
                        1450,
                        "now")
                .withIpv6(new NetworkIpv6("fd00:30::/64", "fd00:30::1", null, Map.of()));
    }

    static Ipv6Pool pool() {
        return new Ipv6Pool(Ipv6Cidr.parse("fd00:30::/64", "subnet"), null, null, Map.of());
    }

    @Test
    void recordsWithoutIpv6StillParseAndNewOnesCarryIt() {
        assertTrue(view.put(
                keys.endpoint("g6", "old"),
                b("{\"name\":\"old\",\"ip\":\"10.30.0.2\",\"mac\":\"02:4a:0a:1e:00:02\",\"host\":\"h1\"}"),
                ++revision));
        assertNull(view.endpointsOf("g6").get("old").ip6());
        assertTrue(view.put(
                keys.endpoint("g6", "new"),
                StoreWriter.json(
                        new EndpointAdvert("new", List.of(), "10.30.0.3", "02:4a:0a:1e:00:03", "h1", "fd00:30::2")),
                ++revision));
        assertEquals("fd00:30::2", view.endpointsOf("g6").get("new").ip6());
        assertTrue(view.put(
                keys.network("old"),
                b("{\"id\":\"x\",\"name\":\"old\",\"vni\":4096,\"subnet\":\"10.40.0.0/24\",\"gateway\":\"10.40.0.1\"}"),
                ++revision));
        assertNull(view.networks.get("old").subnet6());
        assertTrue(view.put(
                keys.network("dual"),
                b("{\"id\":\"y\",\"name\":\"dual\",\"vni\":4097,\"subnet\":\"10.41.0.0/24\",\"gateway\":\"10.41.0.1\","
                        + "\"subnet6\":\"fd00:41::/64\",\"gateway6\":\"fd00:41::1\"}"),
                ++revision));
        assertEquals("fd00:41::1", view.networks.get("dual").gateway6());
        assertTrue(view.put(
                keys.host("h6"),
                b("{\"name\":\"h6\",\"address\":\"fd00:213::1\",\"vxlanPort\":4789,\"since\":\"x\"}"),
                ++revision));
        assertEquals(0, view.ignoredTotal);
    }

    @Test
    void badIpv6RecordsAreIgnoredAndCounted() {
        assertFalse(view.put(keys.block6("g6", "fd00:30::/64x"), b("{\"host\":\"h1\"}"), ++revision));
        assertFalse(view.put(keys.address6("g6", "fd00:30:0::5"), b("{\"host\":\"h1\"}"), ++revision), "not canonical");
        assertFalse(view.put(keys.address6("g6", "10.30.0.5"), b("{\"host\":\"h1\"}"), ++revision));
        assertFalse(view.put(
                keys.endpoint("g6", "bad"),
                b(
                        "{\"name\":\"bad\",\"ip\":\"10.30.0.2\",\"mac\":\"02:4a:0a:1e:00:02\",\"host\":\"h1\",\"ip6\":\"zz\"}"),
                ++revision));
        assertEquals(4, view.ignoredTotal);
    }

    @Test
    void blocksAreSlashOneOneTwoOfASlashSixtyFourAndQuartersOfSmallSubnets() {
        assertEquals(112, AddressBlocks6.blockPrefix(Ipv6Cidr.parse("fd00:30::/64", "s")));
        assertEquals(112, AddressBlocks6.blockPrefix(Ipv6Cidr.parse("fd00:30::/110", "s")));
        assertEquals(122, AddressBlocks6.blockPrefix(Ipv6Cidr.parse("fd00:30::/120", "s")));
        assertEquals(126, AddressBlocks6.blockPrefix(Ipv6Cidr.parse("fd00:30::/126", "s")));
    }

    @Test
    void aHostTakesTheLowestFreeAddressOfItsOwnBlocksOnly() {
        final AddressBlocks6 blocks = new AddressBlocks6(null, view, keys, "h2");
        final NetworkRecord network = network();
        final Ipv6Pool pool = pool();
        assertNull(blocks.freeAddress(network, pool), "no block yet");
        view.put(keys.block6("g6", "fd00:30::/112"), b("{\"host\":\"h1\"}"), ++revision);
        assertNull(blocks.freeAddress(network, pool), "h1's block is not h2's");
        view.put(keys.block6("g6", "fd00:30::1:0/112"), b("{\"host\":\"h2\"}"), ++revision);
        assertEquals(ip6("fd00:30::1:0"), blocks.freeAddress(network, pool));
        pool.reserve(ip6("fd00:30::1:0"));
        view.put(keys.address6("g6", "fd00:30::1:1"), b("{\"host\":\"h2\",\"endpoint\":\"x\"}"), ++revision);
        assertEquals(ip6("fd00:30::1:2"), blocks.freeAddress(network, pool), "taken here and in the store: skipped");
        // the first block holds the subnet-router anycast address and the gateway: never handed out
        final AddressBlocks6 first = new AddressBlocks6(null, view, keys, "h1");
        assertEquals(ip6("fd00:30::2"), first.freeAddress(network, pool));
    }

    @Test
    void advertiseAddressesOfEitherFamily() {
        assertEquals(new AdvertiseAddress("10.213.0.1", 4789), AdvertiseAddress.parse("10.213.0.1"));
        assertEquals(new AdvertiseAddress("10.213.0.1", 4790), AdvertiseAddress.parse("10.213.0.1:4790"));
        assertEquals(new AdvertiseAddress("fd00:213::1", 4789), AdvertiseAddress.parse("fd00:213:0::1"));
        assertEquals(new AdvertiseAddress("fd00:213::1", 4790), AdvertiseAddress.parse("[fd00:213::1]:4790"));
        assertEquals(new AdvertiseAddress("fd00:213::1", 4789), AdvertiseAddress.parse("[fd00:213::1]"));
        assertTrue(AdvertiseAddress.parse("fd00:213::1").ipv6());
        for (String bad : List.of(
                "fe80::1",
                "ff02::1",
                "::",
                "[10.0.0.1]:4789",
                "[fd00::1]4789",
                "10.0.0.1:0",
                "10.0.0.1:x",
                "224.0.0.1",
                "nonsense")) {
            final IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> AdvertiseAddress.parse(bad), bad);
            assertTrue(e.getMessage().contains("--cluster-advertise"), e.getMessage());
        }
    }

    @Test
    void aClusterHasOneUnderlayFamily() {
        final List<HostAdvert> v4 = List.of(new HostAdvert("h1", "10.213.0.1", 4789, "x"));
        UnderlayFamily.requireSame("10.213.0.2", "h2", v4);
        UnderlayFamily.requireSame("fd00:213::1", "h1", v4); // this host's own old record
        final IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> UnderlayFamily.requireSame("fd00:213::2", "h2", v4));
        assertTrue(e.getMessage().contains("host h1 advertises 10.213.0.1 (IPv4)"), e.getMessage());
        assertTrue(e.getMessage().contains("one underlay family"), e.getMessage());
    }
}
