package io.jvswitch.control.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.ipam.Ipv6Cidr;
import io.jvswitch.control.ipam.Ipv6HostRoutes;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.model.NetworkIpv6;
import io.jvswitch.control.model.NetworkRecord;
import io.jvswitch.control.model.OverlayRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Request validation alone: no dataplane, no state, no kernel. */
class NetworkRequestsTest {
    private static final List<Cidr> NO_ROUTES = List.of();

    @Test
    void aBridgeGetsTheDefaultMtuAndAPickedSubnetThatAvoidsRoutesAndOtherNetworks() {
        final NetworkRequests.ValidNetwork first =
                NetworkRequests.network(bridge("web", null), List.of(), List.of(Cidr.parse("172.17.0.0/16")), null);
        assertEquals(NetworkRequests.DEFAULT_MTU, first.mtu());
        assertEquals("bridge", first.driver());
        assertTrue(
                !first.subnet().overlaps(Cidr.parse("172.17.0.0/16")),
                first.subnet().toString());
        assertNull(first.overlay());
        assertNull(first.pool6());

        final NetworkRequests.ValidNetwork second = NetworkRequests.network(
                bridge("db", null), List.of(record("web", first.subnet().toString(), null)), NO_ROUTES, null);
        assertTrue(!second.subnet().overlaps(first.subnet()), second.subnet().toString());
    }

    @Test
    void refusalsSayWhyWithTheirKind() {
        final List<NetworkRecord> existing = List.of(record("web", "10.1.0.0/24", null));
        assertKind(ControlException.Kind.CONFLICT, bridge("web", "10.2.0.0/24"), existing);
        assertKind(ControlException.Kind.CONFLICT, bridge("db", "10.1.0.128/25"), existing);
        assertKind(ControlException.Kind.INVALID, bridge("bad name", "10.2.0.0/24"), existing);
        assertKind(ControlException.Kind.INVALID, bridge("db", "10.2.0.0/33"), existing);
        assertKind(
                ControlException.Kind.INVALID,
                new CreateNetworkRequest("db", "macvlan", null, null, null, null, null, null),
                existing);
        assertKind(
                ControlException.Kind.INVALID,
                new CreateNetworkRequest("db", null, "10.2.0.0/24", null, null, null, null, 67),
                existing);
    }

    @Test
    void overlayOptionsBelongToOverlaysAndAnOverlayNeedsItsLocalAddress() {
        final CreateNetworkRequest vniOnBridge = new CreateNetworkRequest(
                "db", null, "10.2.0.0/24", null, null, null, null, null, null, null, 5000, null, null, null, null);
        assertKind(ControlException.Kind.INVALID, vniOnBridge, List.of());
        assertKind(ControlException.Kind.INVALID, overlay("ov", null, null, null), List.of());
    }

    @Test
    void anOverlayGetsTheFirstFreeVniAndItsPeersAreChecked() {
        final List<NetworkRecord> existing = List.of(record(
                "ov1", "10.3.0.0/24", new OverlayRecord(OverlayRequests.FIRST_VNI, "192.0.2.1", 4789, 64, List.of())));
        final NetworkRequests.ValidNetwork valid = NetworkRequests.network(
                overlay("ov2", "192.0.2.1", null, List.of("192.0.2.2")), existing, NO_ROUTES, null);
        assertEquals(OverlayRequests.FIRST_VNI + 1, valid.overlay().vni());
        assertEquals(List.of("192.0.2.2"), valid.overlay().peers());
        assertEquals(NetworkRequests.DEFAULT_OVERLAY_MTU, valid.mtu());

        assertKind(
                ControlException.Kind.CONFLICT, overlay("ov2", "192.0.2.1", OverlayRequests.FIRST_VNI, null), existing);
        assertKind(ControlException.Kind.INVALID, overlay("ov2", "192.0.2.1", 0, null), existing);
        assertKind(ControlException.Kind.INVALID, overlay("ov2", "192.0.2.1", null, List.of("192.0.2.1")), existing);
        assertKind(
                ControlException.Kind.INVALID,
                overlay("ov2", "192.0.2.1", null, List.of("192.0.2.2", "192.0.2.2")),
                existing);
        assertKind(ControlException.Kind.INVALID, overlay("ov2", "192.0.2.1", null, List.of("224.0.0.1")), existing);
    }

    @Test
    void anIpv6SubnetAvoidsTheHostsIpv6RoutesAndOneGivenOverARouteIsRefused() {
        final List<Ipv6HostRoutes.Route> routes = List.of(
                new Ipv6HostRoutes.Route(Ipv6Cidr.parse("fd4a:7673:7769:1::/64", "route"), "eth0"),
                new Ipv6HostRoutes.Route(Ipv6Cidr.parse("fd00:9::/48", "route"), "eth1"));
        assertEquals(
                "fd4a:7673:7769:2::/64",
                NetworkRequests.network(ipv6Only("v6", null), List.of(), NO_ROUTES, routes, null)
                        .pool6()
                        .subnet()
                        .toString());
        final ControlException refused = assertThrows(
                ControlException.class,
                () -> NetworkRequests.network(ipv6Only("v6", "fd00:9:0:1::/64"), List.of(), NO_ROUTES, routes, null));
        assertEquals(ControlException.Kind.CONFLICT, refused.kind());
        assertEquals(
                "subnet fd00:9:0:1::/64 overlaps the host's route fd00:9::/48 dev eth1: give another IPv6 --subnet,"
                        + " or none for a free default one",
                refused.getMessage());
        // Another network's subnet is named first: the host routes it via jvs's own link.
        final List<NetworkRecord> existing = List.of(ipv6OnlyRecord("v6", "fd00:9:0:1::/64"));
        final ControlException network = assertThrows(
                ControlException.class,
                () -> NetworkRequests.network(ipv6Only("v6b", "fd00:9::/48"), existing, NO_ROUTES, routes, null));
        assertTrue(network.getMessage().contains("overlaps network v6"), network.getMessage());
    }

    @Test
    void anIpv6OnlyNetworkHasNoIpv4SideAndItsSubnetIsGivenOrPicked() {
        final NetworkRequests.ValidNetwork given =
                NetworkRequests.network(ipv6Only("v6", "fd00:21::/64"), List.of(), NO_ROUTES, null);
        assertNull(given.subnet());
        assertNull(given.pool());
        assertEquals("fd00:21::/64", given.pool6().subnet().toString());
        final NetworkRequests.ValidNetwork picked =
                NetworkRequests.network(ipv6Only("v6", null), List.of(), NO_ROUTES, null);
        assertEquals("fd4a:7673:7769:1::/64", picked.pool6().subnet().toString());

        // Beside an IPv6-only network (no IPv4 subnet in its record), IPv4 subnets are picked and
        // checked as before, and its IPv6 subnet is taken.
        final List<NetworkRecord> existing =
                List.of(record("web", "10.1.0.0/24", null), ipv6OnlyRecord("v6", "fd00:21::/64"));
        final NetworkRequests.ValidNetwork ipv4 =
                NetworkRequests.network(bridge("db", null), existing, NO_ROUTES, null);
        assertTrue(
                !ipv4.subnet().overlaps(Cidr.parse("10.1.0.0/24")),
                ipv4.subnet().toString());
        assertKind(ControlException.Kind.CONFLICT, ipv6Only("v6b", "fd00:21::/56"), existing);
        assertEquals(
                "fd4a:7673:7769:1::/64",
                NetworkRequests.network(ipv6Only("v6b", null), existing, NO_ROUTES, null)
                        .pool6()
                        .subnet()
                        .toString());
    }

    @Test
    void ipv4FalseNeedsIpv6AndTakesNoIpv4OptionsNorAnOverlay() {
        assertMessage("needs --ipv6", ipv4False("v6", null, null, null, null, null, null, null, null));
        assertMessage(
                "takes no IPv4 options: --subnet 10.5.0.0/24",
                ipv4False("v6", Boolean.TRUE, null, "10.5.0.0/24", null, null, null, null, null));
        assertMessage(
                "--gateway 10.5.0.1", ipv4False("v6", Boolean.TRUE, null, null, "10.5.0.1", null, null, null, null));
        assertMessage(
                "--ip-range 10.5.0.0/25",
                ipv4False("v6", Boolean.TRUE, null, null, null, "10.5.0.0/25", null, null, null));
        assertMessage(
                "--aux-address r=10.5.0.2",
                ipv4False("v6", Boolean.TRUE, null, null, null, null, Map.of("r", "10.5.0.2"), null, null));
        // an IPv6-only overlay with static peers: no IPv4 side, its IPv6 pool and its tunnel
        final NetworkRequests.ValidNetwork overlay = NetworkRequests.network(
                ipv4False("v6", Boolean.TRUE, "overlay", null, null, null, null, "192.0.2.1", "fd00:31::/64"),
                List.of(),
                NO_ROUTES,
                null);
        assertNull(overlay.subnet());
        assertNull(overlay.pool());
        assertEquals("fd00:31::/64", overlay.pool6().subnet().toString());
        assertEquals("192.0.2.1", overlay.overlay().local());
        assertMessage(
                "--subnet 10.5.0.0/24",
                ipv4False("v6", Boolean.TRUE, "overlay", "10.5.0.0/24", null, null, null, "192.0.2.1", null));
    }

    @Test
    void anAttachNamesItsEndpointAndChecksAliasesAddressesAndMac() {
        final ContainerRef rose = new ContainerRef(ContainerRef.Kind.NETNS, "rose");
        assertEquals(
                "rose", NetworkRequests.endpointName(new AttachRequest("web", rose, null, null, null, null, null)));
        assertEquals(
                "pid42",
                NetworkRequests.endpointName(new AttachRequest(
                        "web", new ContainerRef(ContainerRef.Kind.PID, "42"), null, null, null, null, null)));
        assertThrows(
                ControlException.class,
                () -> NetworkRequests.endpointName(new AttachRequest("web", null, null, null, null, null, null)));
        assertThrows(
                ControlException.class,
                () -> NetworkRequests.aliases(
                        new AttachRequest("web", rose, null, null, null, null, null, List.of("bad alias"), null)));
        assertEquals(
                List.of("a", "b"),
                NetworkRequests.aliases(
                        new AttachRequest("web", rose, null, null, null, null, null, List.of("a", "b", "a"), null)));
        assertNull(NetworkRequests.ip(null));
        assertEquals(Cidr.parseAddress("10.1.0.9"), NetworkRequests.ip("10.1.0.9"));
        assertThrows(ControlException.class, () -> NetworkRequests.ip("10.1.0"));
        assertThrows(ControlException.class, () -> NetworkRequests.mac("ff:ff:ff:ff:ff:ff"));
        assertThrows(ControlException.class, () -> NetworkRequests.mac("00:00:00:00:00:00"));
        assertThrows(ControlException.class, () -> NetworkRequests.mac("not-a-mac"));
    }

    private static void assertKind(
            ControlException.Kind kind, CreateNetworkRequest request, List<NetworkRecord> existing) {
        final ControlException refused =
                assertThrows(ControlException.class, () -> NetworkRequests.network(request, existing, NO_ROUTES, null));
        assertEquals(kind, refused.kind(), refused.getMessage());
    }

    private static void assertMessage(String expected, CreateNetworkRequest request) {
        final ControlException refused = assertThrows(
                ControlException.class, () -> NetworkRequests.network(request, List.of(), NO_ROUTES, null));
        assertEquals(ControlException.Kind.INVALID, refused.kind(), refused.getMessage());
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }

    private static CreateNetworkRequest ipv6Only(String name, String subnet6) {
        return ipv4False(name, Boolean.TRUE, null, null, null, null, null, null, subnet6);
    }

    /** {@code --ipv4=false} with the other options given (null: left out). */
    private static CreateNetworkRequest ipv4False(
            String name,
            Boolean ipv6,
            String driver,
            String subnet,
            String gateway,
            String ipRange,
            Map<String, String> aux,
            String local,
            String subnet6) {
        return new CreateNetworkRequest(
                name,
                driver,
                subnet,
                gateway,
                ipRange,
                aux,
                null,
                null,
                null,
                null,
                null,
                local,
                null,
                null,
                null,
                ipv6,
                Boolean.FALSE,
                subnet6,
                null,
                null,
                null);
    }

    private static NetworkRecord ipv6OnlyRecord(String name, String subnet6) {
        return new NetworkRecord(
                "id-" + name,
                2,
                name,
                "bridge",
                null,
                null,
                null,
                Map.of(),
                false,
                1500,
                Instant.now().toString(),
                List.of(),
                null,
                null,
                new NetworkIpv6(subnet6, subnet6.replace("::/64", "::1"), null, Map.of()));
    }

    private static CreateNetworkRequest bridge(String name, String subnet) {
        return new CreateNetworkRequest(name, null, subnet, null, null, null, null, null);
    }

    private static CreateNetworkRequest overlay(String name, String local, Integer vni, List<String> peers) {
        return new CreateNetworkRequest(
                name, "overlay", null, null, null, null, null, null, null, null, vni, local, peers, null, null);
    }

    private static NetworkRecord record(String name, String subnet, OverlayRecord overlay) {
        final Cidr cidr = Cidr.parse(subnet);
        return new NetworkRecord(
                "id-" + name,
                1,
                name,
                overlay == null ? "bridge" : "overlay",
                subnet,
                Cidr.format(cidr.network() + 1),
                null,
                Map.of(),
                false,
                1500,
                Instant.now().toString(),
                List.of(),
                null,
                overlay,
                null);
    }
}
