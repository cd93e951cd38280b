package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class DefaultPoolsTest {

    private static Cidr net(String s) {
        return Cidr.parse(s);
    }

    @Test
    void poolsInDockerOrder() {
        List<Cidr> pools = DefaultPools.pools();
        assertEquals(15 + 16, pools.size());
        assertEquals(net("172.17.0.0/16"), pools.get(0));
        assertEquals(net("172.18.0.0/16"), pools.get(1));
        assertEquals(net("172.31.0.0/16"), pools.get(14));
        assertEquals(net("192.168.0.0/20"), pools.get(15));
        assertEquals(net("192.168.16.0/20"), pools.get(16));
        assertEquals(net("192.168.240.0/20"), pools.get(30));
    }

    @Test
    void firstPoolWhenNothingInUse() {
        assertEquals(net("172.17.0.0/16"), DefaultPools.pick(List.of()));
    }

    @Test
    void skipsUsedAndOverlappingSubnets() {
        assertEquals(net("172.18.0.0/16"), DefaultPools.pick(List.of(net("172.17.0.0/16"))));
        // a host route inside the first pool makes it unavailable
        assertEquals(net("172.18.0.0/16"), DefaultPools.pick(List.of(net("172.17.5.0/24"))));
        // a covering route knocks out several
        assertEquals(net("172.20.0.0/16"), DefaultPools.pick(List.of(net("172.16.0.0/14"), net("10.0.0.0/8"))));
        // unrelated networks do not matter
        assertEquals(
                net("172.17.0.0/16"),
                DefaultPools.pick(List.of(net("10.0.0.0/8"), net("192.168.1.0/24"), net("172.16.0.0/16"))));
    }

    @Test
    void fallsThroughTo192168() {
        assertEquals(net("192.168.0.0/20"), DefaultPools.pick(List.of(net("172.16.0.0/12"))));
        assertEquals(net("192.168.16.0/20"), DefaultPools.pick(List.of(net("172.16.0.0/12"), net("192.168.1.0/24"))));
        assertEquals(
                net("192.168.48.0/20"),
                DefaultPools.pick(List.of(net("172.16.0.0/12"), net("192.168.0.0/19"), net("192.168.32.7/32"))));
    }

    @Test
    void allTaken() {
        List<Cidr> used = new ArrayList<>(DefaultPools.pools());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DefaultPools.pick(used));
        assertEquals("all default address pools are in use; give --subnet", e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> DefaultPools.pick(List.of(net("172.16.0.0/12"), net("192.168.0.0/16"))));
        // a /0 route would overlap everything (HostRoutes drops the default route for this reason)
        assertThrows(IllegalStateException.class, () -> DefaultPools.pick(List.of(net("0.0.0.0/0"))));
    }

    @Test
    void customCandidates() {
        List<Cidr> candidates = List.of(net("10.10.0.0/24"), net("10.10.1.0/24"));
        assertEquals(net("10.10.1.0/24"), DefaultPools.pick(candidates, List.of(net("10.10.0.128/25"))));
    }
}
