package io.jvswitch.control.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.model.ContainerRef;
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
