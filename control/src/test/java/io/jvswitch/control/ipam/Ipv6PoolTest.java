package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

class Ipv6PoolTest {
    static BigInteger a(String text) {
        return Ipv6Cidr.parseAddress(text, "address");
    }

    @Test
    void parsesAndFormatsAsRfc5952() {
        final Ipv6Cidr c = Ipv6Cidr.parse("FD00:0020:0:0::/64", "subnet");
        assertEquals("fd00:20::/64", c.toString());
        assertEquals("fd00:20::1", Ipv6Cidr.format(a("fd00:20:0:0:0:0:0:1")));
        assertEquals("::", Ipv6Cidr.format(BigInteger.ZERO));
        assertEquals("fd00:0:1:0:1::1", Ipv6Cidr.format(a("fd00:0:1:0:1:0:0:1")), "the longer run is compressed");
        assertEquals(0xFD00_0020_0000_0000L, Ipv6Cidr.high(a("fd00:20::5")));
        assertEquals(5, Ipv6Cidr.low(a("fd00:20::5")));
    }

    @Test
    void refusesWhatIsNotAnIpv6NetworkWithAMessageThatSaysWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00::1/64", "subnet"))
                .getMessage()
                .contains("did you mean fd00::/64?"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00::/129", "subnet"))
                .getMessage()
                .contains("prefix length must be 0-128"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00::", "subnet"))
                .getMessage()
                .contains("missing prefix length"));
        for (String bad : List.of("fd00::g/64", "fd00:::1/64", "1.2.3.4/24", "fe80::%eth0/64", "::ffff:1.2.3.4/128")) {
            assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse(bad, "subnet"), bad);
        }
    }

    @Test
    void handsOutTheLowestFreeAddressPastTheGatewayAndAuxAddresses() {
        final Ipv6Pool pool =
                new Ipv6Pool(Ipv6Cidr.parse("fd00:20::/64", "subnet"), null, null, Map.of("router", a("fd00:20::3")));
        assertEquals(a("fd00:20::1"), pool.gateway());
        assertEquals(a("fd00:20::2"), pool.allocate());
        assertEquals(a("fd00:20::4"), pool.allocate(), "the aux address is skipped");
        pool.reserve(a("fd00:20::50"));
        assertThrows(IllegalStateException.class, () -> pool.reserve(a("fd00:20::50")));
        assertThrows(IllegalArgumentException.class, () -> pool.reserve(a("fd00:20::1")), "the gateway");
        assertThrows(IllegalArgumentException.class, () -> pool.reserve(a("fd00:20::")), "subnet-router anycast");
        assertThrows(IllegalArgumentException.class, () -> pool.reserve(a("fd00:21::5")), "outside");
        pool.release(a("fd00:20::2"));
        pool.release(a("fd00:20::2"));
        assertFalse(pool.inUse(a("fd00:20::2")));
        assertEquals(a("fd00:20::2"), pool.allocate(), "released addresses come back first");
    }

    @Test
    void anIpRangeLimitsAllocationAndIsExhaustible() {
        final Ipv6Pool pool = new Ipv6Pool(
                Ipv6Cidr.parse("fd00:20::/64", "subnet"),
                a("fd00:20::ffff"),
                Ipv6Cidr.parse("fd00:20::100/127", "ip-range"),
                Map.of());
        assertEquals(a("fd00:20::100"), pool.allocate());
        assertEquals(a("fd00:20::101"), pool.allocate());
        assertThrows(IllegalStateException.class, pool::allocate);
        assertThrows(
                IllegalArgumentException.class,
                () -> new Ipv6Pool(Ipv6Cidr.parse("fd00:20::/64", "subnet"), a("fd00:21::1"), null, Map.of()));
    }

    @Test
    void theDefaultPoolIsTheFirstFreeSlash64OfTheJvsUlaPrefix() {
        assertEquals("fd4a:7673:7769:1::/64", DefaultIpv6Pools.pick(List.of()).toString());
        assertEquals(
                "fd4a:7673:7769:3::/64",
                DefaultIpv6Pools.pick(List.of(
                                Ipv6Cidr.parse("fd4a:7673:7769:1::/64", "subnet"),
                                Ipv6Cidr.parse("fd4a:7673:7769:2::/64", "subnet")))
                        .toString());
        assertThrows(
                IllegalStateException.class,
                () -> DefaultIpv6Pools.pick(List.of(Ipv6Cidr.parse("fd4a:7673:7769::/48", "subnet"))));
    }
}
