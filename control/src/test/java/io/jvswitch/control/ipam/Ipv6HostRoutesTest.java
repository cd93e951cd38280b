package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import java.util.List;

class Ipv6HostRoutesTest {
    /** As a namespace with eth0 (fd00::2/64, a default route), a route beyond it and jvs's host link prints it. */
    static final String PROC = """
            fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
            fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
            fd4a7673776900010000000000000000 40 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000001 00000000 00000003     eth0
            fd4a7673776900020000000000000000 40 00000000000000000000000000000000 00 fe80000000000000004a00fffe000002 00000400 00000001 00000000 00000003     jvs0
            fd4a5653000000000000000000000001 80 00000000000000000000000000000000 00 fe80000000000000004a00fffe000002 00000400 00000001 00000000 00000003     jvs0
            00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
            fd000000000000000000000000000002 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000004 00000000 80200001     eth0
            ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000004 00000000 00000001     eth0
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
            fd000008000000000000000000000001 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00200200       lo
            not a route
            fd00000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
            """;

    private static Ipv6Cidr cidr(String text) {
        return Ipv6Cidr.parse(text, "route");
    }

    @Test
    void everyTableButTheDefaultLinkLocalMulticastAndJvssOwnLink() {
        final List<Ipv6HostRoutes.Route> routes = Ipv6HostRoutes.parse(PROC, "jvs0");
        assertEquals(
                List.of(
                        "fd00::/64 dev eth0",
                        "fd4a:7673:7769:1::/64 dev eth0",
                        "::1/128 dev lo",
                        "fd00::2/128 dev eth0",
                        "fd00:8::/48 dev lo"),
                routes.stream().map(Ipv6HostRoutes.Route::toString).toList(),
                "an unreachable route counts, its stray host bit masked");
        assertEquals(7, Ipv6HostRoutes.parse(PROC, null).size(), "without a host link nothing of jvs0 is left out");
    }

    @Test
    void theDefaultPoolSkipsARoutedSubnetAndAnOverlapNamesTheRoute() {
        final List<Ipv6HostRoutes.Route> routes = Ipv6HostRoutes.parse(PROC, "jvs0");
        assertEquals(cidr("fd4a:7673:7769:2::/64"), DefaultIpv6Pools.pick(Ipv6HostRoutes.destinations(routes)));
        assertEquals(
                "fd4a:7673:7769:1::/64 dev eth0",
                Ipv6HostRoutes.overlapping(routes, cidr("fd4a:7673:7769::/48")).toString());
        assertEquals(
                "fd00:8::/48 dev lo",
                Ipv6HostRoutes.overlapping(routes, cidr("fd00:8:0:5::/64")).toString());
        assertNull(Ipv6HostRoutes.overlapping(routes, cidr("fd4a:7673:7769:2::/64")), "jvs0's own routes are left out");
    }
}
