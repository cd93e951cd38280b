package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

class AddressPoolTest {

    private static int ip(String s) {
        return Cidr.parseAddress(s);
    }

    private static Cidr net(String s) {
        return Cidr.parse(s);
    }

    private static String fmt(int a) {
        return Cidr.format(a);
    }

    private static String argError(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    private static String stateError(Runnable r) {
        return assertThrows(IllegalStateException.class, r::run).getMessage();
    }

    @Test
    void defaultGatewayIsFirstUsableAndAllocationIsLowestFree() {
        AddressPool pool = AddressPool.of(net("172.19.0.0/16"));
        assertEquals("172.19.0.1", fmt(pool.gateway()));
        assertEquals("172.19.0.2", fmt(pool.allocate()));
        assertEquals("172.19.0.3", fmt(pool.allocate()));
        assertEquals("172.19.0.4", fmt(pool.allocate()));
        assertEquals(List.of(ip("172.19.0.2"), ip("172.19.0.3"), ip("172.19.0.4")), pool.allocated());
        assertEquals(3, pool.allocatedCount());
        assertTrue(pool.ipRange().isEmpty());
    }

    @Test
    void allocationSkipsGatewayAndAuxAddresses() {
        AddressPool pool = AddressPool.builder(net("10.1.0.0/24"))
                .gateway(ip("10.1.0.3"))
                .auxAddress("router", ip("10.1.0.1"))
                .auxAddress("host", ip("10.1.0.5"))
                .build();
        assertEquals(Map.of("router", ip("10.1.0.1"), "host", ip("10.1.0.5")), pool.auxAddresses());
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            got.add(fmt(pool.allocate()));
        }
        assertEquals(List.of("10.1.0.2", "10.1.0.4", "10.1.0.6", "10.1.0.7"), got);
    }

    @Test
    void allocationHonoursIpRange() {
        AddressPool pool = AddressPool.builder(net("172.19.0.0/16"))
                .ipRange(net("172.19.5.0/24"))
                .auxAddress("a", ip("172.19.5.1"))
                .build();
        assertEquals("172.19.0.1", fmt(pool.gateway()));
        assertEquals("172.19.5.0", fmt(pool.allocate())); // range's own network address is usable
        assertEquals("172.19.5.2", fmt(pool.allocate()));
        // a static --ip outside the range but inside the subnet is fine and does not move allocation
        pool.reserve(ip("172.19.9.9"));
        assertTrue(pool.inUse(ip("172.19.9.9")));
        assertEquals("172.19.5.3", fmt(pool.allocate()));
    }

    @Test
    void gatewayInsideIpRangeIsSkipped() {
        AddressPool pool = AddressPool.builder(net("10.0.0.0/24"))
                .ipRange(net("10.0.0.0/29"))
                .build();
        assertEquals("10.0.0.2", fmt(pool.allocate())); // .0 network, .1 gateway
    }

    @Test
    void reserveErrors() {
        AddressPool pool = AddressPool.builder(net("172.19.0.0/16"))
                .auxAddress("host", ip("172.19.0.9"))
                .build();
        pool.reserve(ip("172.19.0.5"));
        assertEquals("address 10.1.2.3 is outside subnet 172.19.0.0/16", argError(() -> pool.reserve(ip("10.1.2.3"))));
        assertEquals("address 172.19.0.5 is already in use", stateError(() -> pool.reserve(ip("172.19.0.5"))));
        assertEquals(
                "172.19.0.0 is the network address of 172.19.0.0/16", argError(() -> pool.reserve(ip("172.19.0.0"))));
        assertEquals(
                "172.19.255.255 is the broadcast address of 172.19.0.0/16",
                argError(() -> pool.reserve(ip("172.19.255.255"))));
        assertEquals("172.19.0.1 is the gateway of 172.19.0.0/16", argError(() -> pool.reserve(ip("172.19.0.1"))));
        assertEquals("172.19.0.9 is reserved as aux address 'host'", argError(() -> pool.reserve(ip("172.19.0.9"))));
        assertEquals(List.of(ip("172.19.0.5")), pool.allocated());
    }

    @Test
    void reservedAddressIsSkippedByAllocate() {
        AddressPool pool = AddressPool.of(net("10.0.0.0/24"));
        pool.reserve(ip("10.0.0.2"));
        pool.reserve(ip("10.0.0.4"));
        assertEquals("10.0.0.3", fmt(pool.allocate()));
        assertEquals("10.0.0.5", fmt(pool.allocate()));
        assertEquals(List.of(ip("10.0.0.2"), ip("10.0.0.3"), ip("10.0.0.4"), ip("10.0.0.5")), pool.allocated());
    }

    @Test
    void releaseThenReallocateGivesLowestFree() {
        AddressPool pool = AddressPool.of(net("10.0.0.0/24"));
        int a = pool.allocate();
        int b = pool.allocate();
        int c = pool.allocate();
        assertEquals(List.of("10.0.0.2", "10.0.0.3", "10.0.0.4"), List.of(fmt(a), fmt(b), fmt(c)));
        pool.release(b);
        assertFalse(pool.inUse(b));
        assertTrue(pool.isFree(b));
        assertEquals(2, pool.allocatedCount());
        pool.release(b); // idempotent
        assertEquals(2, pool.allocatedCount());
        assertEquals(b, pool.allocate());
        assertEquals("10.0.0.5", fmt(pool.allocate()));
        pool.release(a);
        pool.release(c);
        assertEquals(a, pool.allocate());
        assertEquals(c, pool.allocate());
    }

    @Test
    void releaseRejectsSpecialAndOutsideAddresses() {
        AddressPool pool = AddressPool.builder(net("10.0.0.0/24"))
                .auxAddress("x", ip("10.0.0.7"))
                .build();
        assertEquals("10.0.0.1 is the gateway of 10.0.0.0/24", argError(() -> pool.release(ip("10.0.0.1"))));
        assertEquals("10.0.0.7 is reserved as aux address 'x'", argError(() -> pool.release(ip("10.0.0.7"))));
        assertEquals("address 10.0.1.1 is outside subnet 10.0.0.0/24", argError(() -> pool.release(ip("10.0.1.1"))));
        assertEquals(
                "10.0.0.255 is the broadcast address of 10.0.0.0/24", argError(() -> pool.release(ip("10.0.0.255"))));
        // still reserved afterwards
        assertEquals("10.0.0.2", fmt(pool.allocate()));
        assertFalse(pool.isFree(ip("10.0.0.1")));
    }

    @Test
    void inUseOnlyReportsEndpointAddresses() {
        AddressPool pool = AddressPool.builder(net("10.0.0.0/24"))
                .auxAddress("x", ip("10.0.0.7"))
                .build();
        int a = pool.allocate();
        assertTrue(pool.inUse(a));
        assertFalse(pool.inUse(pool.gateway()));
        assertFalse(pool.inUse(ip("10.0.0.7")));
        assertFalse(pool.inUse(ip("10.0.0.0")));
        assertFalse(pool.inUse(ip("10.0.0.9")));
        assertFalse(pool.inUse(ip("8.8.8.8")));
        assertFalse(pool.isFree(ip("10.0.0.7")));
        assertFalse(pool.isFree(ip("8.8.8.8")));
        assertTrue(pool.isFree(ip("10.0.0.9")));
    }

    @Test
    void exhaustionOfSlash30() {
        AddressPool pool = AddressPool.of(net("10.0.0.0/30"));
        assertEquals("10.0.0.1", fmt(pool.gateway()));
        assertEquals("10.0.0.2", fmt(pool.allocate()));
        assertEquals("no free address left in 10.0.0.0/30", stateError(pool::allocate));
        pool.release(ip("10.0.0.2"));
        assertEquals("10.0.0.2", fmt(pool.allocate()));
        assertEquals("no free address left in 10.0.0.0/30", stateError(pool::allocate));
    }

    @Test
    void exhaustionOfSlash29WithIpRange() {
        // ip-range 10.0.0.4/30 in 10.0.0.0/29: .4 .5 .6 (.7 is the subnet broadcast)
        AddressPool small = AddressPool.builder(net("10.0.0.0/29"))
                .ipRange(net("10.0.0.4/30"))
                .build();
        assertEquals(
                List.of("10.0.0.4", "10.0.0.5", "10.0.0.6"),
                List.of(fmt(small.allocate()), fmt(small.allocate()), fmt(small.allocate())));
        assertEquals("no free address left in ip-range 10.0.0.4/30 of subnet 10.0.0.0/29", stateError(small::allocate));
        // the rest of the subnet is still available to static --ip
        small.reserve(ip("10.0.0.2"));

        // ip-range 10.0.0.8/29 in a /24 with an aux address inside: 7 dynamic addresses
        AddressPool pool = AddressPool.builder(net("10.0.0.0/24"))
                .ipRange(net("10.0.0.8/29"))
                .auxAddress("dns", ip("10.0.0.12"))
                .build();
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            got.add(fmt(pool.allocate()));
        }
        assertEquals(
                List.of("10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11", "10.0.0.13", "10.0.0.14", "10.0.0.15"), got);
        assertEquals("no free address left in ip-range 10.0.0.8/29 of subnet 10.0.0.0/24", stateError(pool::allocate));
    }

    @Test
    void validation() {
        assertEquals(
                "gateway 10.1.0.1 is outside subnet 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .gateway(ip("10.1.0.1"))
                        .build()));
        assertEquals(
                "gateway 172.19.0.0 is the network address of 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .gateway(ip("172.19.0.0"))
                        .build()));
        assertEquals(
                "gateway 172.19.255.255 is the broadcast address of 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .gateway(ip("172.19.255.255"))
                        .build()));
        assertEquals(
                "ip-range 172.18.0.0/24 is not inside subnet 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .ipRange(net("172.18.0.0/24"))
                        .build()));
        assertEquals(
                "ip-range 172.16.0.0/12 is not inside subnet 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .ipRange(net("172.16.0.0/12"))
                        .build()));
        assertEquals(
                "aux address 'host' (10.0.0.1) is outside subnet 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .auxAddress("host", ip("10.0.0.1"))
                        .build()));
        assertEquals(
                "aux address 'host' (172.19.0.1) is the gateway of 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .auxAddress("host", ip("172.19.0.1"))
                        .build()));
        assertEquals(
                "aux address 'host' (172.19.0.3) is the gateway of 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .gateway(ip("172.19.0.3"))
                        .auxAddress("host", ip("172.19.0.3"))
                        .build()));
        assertEquals(
                "aux address 'n' (172.19.0.0) is the network address of 172.19.0.0/16",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .auxAddress("n", ip("172.19.0.0"))
                        .build()));
        assertEquals(
                "aux addresses 'a' and 'b' are both 172.19.0.7",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .auxAddress("a", ip("172.19.0.7"))
                        .auxAddress("b", ip("172.19.0.7"))
                        .build()));
        assertEquals(
                "aux address name 'a' is given twice",
                argError(() -> AddressPool.builder(net("172.19.0.0/16"))
                        .auxAddress("a", ip("172.19.0.7"))
                        .auxAddress("a", ip("172.19.0.8"))));
        assertEquals(
                "subnet 10.0.0.0/31 is too small: a /31 has no room for a gateway and an endpoint"
                        + " besides the network and broadcast addresses; use a /30 or larger",
                argError(() -> AddressPool.of(net("10.0.0.0/31"))));
        assertTrue(argError(() -> AddressPool.of(net("10.0.0.7/32")))
                .startsWith("subnet 10.0.0.7/32 is too small: a /32 has no room"));
    }

    @Test
    void slash8HundredThousandAllocations() {
        AddressPool pool = AddressPool.of(net("10.0.0.0/8"));
        int n = 100_000;
        int first = 0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            int a = pool.allocate();
            if (i == 0) {
                first = a;
            }
            last = a;
        }
        assertEquals("10.0.0.2", fmt(first));
        assertEquals(ip("10.0.0.2") + n - 1, last);
        assertEquals("10.1.134.161", fmt(last));
        assertEquals(n, pool.allocatedCount());
        // punch holes and refill: lowest first
        for (int i = 0; i < n; i += 1000) {
            pool.release(ip("10.0.0.2") + i);
        }
        for (int i = 0; i < n; i += 1000) {
            assertEquals(ip("10.0.0.2") + i, pool.allocate());
        }
        assertEquals(ip("10.0.0.2") + n, pool.allocate());
        List<Integer> all = pool.allocated();
        assertEquals(n + 1, all.size());
        assertEquals(first, all.getFirst());
        assertEquals(ip("10.0.0.2") + n, all.getLast());
    }

    @Test
    void slash8ScatteredStaticAddressesStayFast() {
        AddressPool pool = AddressPool.of(net("10.0.0.0/8"));
        // every other address taken statically: worst case for run coalescing
        for (int i = 0; i < 100_000; i++) {
            pool.reserve(ip("10.0.0.2") + 2 * i);
        }
        for (int i = 0; i < 100_000; i++) {
            assertEquals(ip("10.0.0.3") + 2 * i, pool.allocate());
        }
        assertEquals(ip("10.0.0.2") + 200_000, pool.allocate());
        assertEquals(200_001, pool.allocatedCount());
    }

    @Test
    void highAddressesAndWholeSpaceEdges() {
        AddressPool pool = AddressPool.of(net("255.255.255.252/30"));
        assertEquals("255.255.255.253", fmt(pool.gateway()));
        assertEquals("255.255.255.254", fmt(pool.allocate()));
        assertEquals("no free address left in 255.255.255.252/30", stateError(pool::allocate));

        AddressPool big = AddressPool.builder(net("0.0.0.0/0"))
                .ipRange(net("255.255.255.248/29"))
                .build();
        for (int i = 0; i < 7; i++) {
            big.allocate();
        }
        assertEquals("255.255.255.254", fmt(big.allocated().getLast()));
        assertThrows(IllegalStateException.class, big::allocate);
    }

    @Test
    void matchesNaiveModelUnderRandomOperations() {
        Cidr subnet = net("192.168.16.0/26");
        AddressPool pool = AddressPool.builder(subnet)
                .gateway(ip("192.168.16.20"))
                .ipRange(net("192.168.16.16/28"))
                .auxAddress("a", ip("192.168.16.17"))
                .build();
        TreeSet<Integer> model = new TreeSet<>();
        Random rnd = new Random(42);
        int lo = ip("192.168.16.16");
        int hi = ip("192.168.16.31");
        for (int step = 0; step < 20_000; step++) {
            int op = rnd.nextInt(3);
            int a = subnet.network() + rnd.nextInt(64);
            boolean special =
                    a == subnet.network() || a == subnet.broadcast() || a == pool.gateway() || a == ip("192.168.16.17");
            if (op == 0) {
                Integer expected = null;
                for (int c = lo; c <= hi; c++) {
                    if (!model.contains(c) && c != pool.gateway() && c != ip("192.168.16.17")) {
                        expected = c;
                        break;
                    }
                }
                if (expected == null) {
                    assertThrows(IllegalStateException.class, pool::allocate);
                } else {
                    assertEquals(expected, pool.allocate());
                    model.add(expected);
                }
            } else if (op == 1) {
                if (special) {
                    assertThrows(IllegalArgumentException.class, () -> pool.reserve(a));
                } else if (model.contains(a)) {
                    assertThrows(IllegalStateException.class, () -> pool.reserve(a));
                } else {
                    pool.reserve(a);
                    model.add(a);
                }
            } else if (!special) {
                pool.release(a);
                model.remove(a);
            }
            assertEquals(model.size(), pool.allocatedCount());
            assertEquals(model.contains(a), pool.inUse(a));
        }
        assertEquals(List.copyOf(model), pool.allocated());
    }
}
