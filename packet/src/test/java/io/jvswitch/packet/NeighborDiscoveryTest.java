package io.jvswitch.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The addresses Neighbor Discovery derives, against the forms the RFCs and Linux give. */
class NeighborDiscoveryTest {

    @Test
    void aSolicitationForAnAddressGoesToItsSolicitedNodeGroupAndThatGroupsMac() {
        // fd00:30::ab:cdef asks ff02::1:ffab:cdef (RFC 4291 §2.7.1), at 33:33:ff:ab:cd:ef (RFC 2464 §7)
        final long low = 0x0000_0000_00AB_CDEFL;
        final long group = NeighborDiscovery.solicitedNodeLow(low);
        assertEquals("ff02::1:ffab:cdef", Ipv6Address.format(NeighborDiscovery.SOLICITED_NODE_HIGH, group));
        assertEquals("33:33:ff:ab:cd:ef", MacAddress.format(NeighborDiscovery.multicastMac(group)));
        // only the last 24 bits of the target count
        assertEquals(group, NeighborDiscovery.solicitedNodeLow(0x1234_5678_9AAB_CDEFL));
    }

    @Test
    void aMacGivesTheModifiedEui64LinkLocalAddress() {
        // as Linux configures for 02:4a:0a:5d:00:02 (the universal/local bit flipped, ff:fe inserted)
        assertEquals(
                "fe80::4a:aff:fe5d:2",
                Ipv6Address.format(
                        NeighborDiscovery.LINK_LOCAL_HIGH, NeighborDiscovery.linkLocalLow(0x024A_0A5D_0002L)));
    }
}
