package io.jvswitch.vtep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;

class Ipv6PeerIdsTest {
    static Inet6Address v6(String text) throws Exception {
        return (Inet6Address) InetAddress.getByName(text);
    }

    @Test
    void addressesWhoseJavaHashesCollideGetDistinctIdsThatAreNoIpv4Address() throws Exception {
        final Ipv6PeerIds ids = new Ipv6PeerIds();
        // Inet6Address.hashCode() sums the four 32-bit words: these two collide there
        final Inet6Address one = v6("fd99::1");
        final Inet6Address other = v6("fd99::1:0:0");
        assertEquals(one.hashCode(), other.hashCode());
        final int a = ids.assign(one);
        final int b = ids.assign(other);
        assertNotEquals(a, b);
        assertEquals(a, ids.assign(v6("fd99:0::1")), "one address, one id");
        assertEquals(b, ids.idOf(other));
        assertEquals(0, ids.idOf(v6("fd99::2")), "never a peer");
        assertTrue((a >>> 28) == 0xF && (b >>> 28) == 0xF, "in 240.0.0.0/4: " + Integer.toHexString(a));
    }

    @Test
    void aTunnelTakesPeersOfItsUnderlaysFamilyOnly() throws Exception {
        final VtepContext six =
                new VtepContext().localAddress(v6("fd00:200::1")).conclude();
        final TunnelPort port = new TunnelPort("vx6", 7, 1430, six, new TxQueue(16));
        final VtepPeer peer = port.addPeer(v6("fd00:200::2"));
        assertEquals("fd00:200::2", peer.ipText());
        assertEquals(peer, port.peerOf(port.ipv6PeerId(v6("fd00:200::2"))));
        assertThrows(IllegalArgumentException.class, () -> port.addPeer(InetAddress.getByName("192.0.2.2")));
        assertThrows(IllegalArgumentException.class, () -> port.addPeer(v6("fd00:200::1")), "its own address");
        assertThrows(IllegalStateException.class, () -> port.addPeer(v6("fd00:200:0::2")), "already a peer");
        port.removePeer(port.ipv6PeerId(v6("fd00:200::2")));
        assertEquals(0, port.peers().length);

        final VtepContext four = new VtepContext()
                .localAddress(InetAddress.getByName("192.0.2.1"))
                .conclude();
        final TunnelPort port4 = new TunnelPort("vx4", 7, 1450, four, new TxQueue(16));
        assertThrows(IllegalArgumentException.class, () -> port4.addPeer(v6("fd00:200::2")));
        assertEquals(
                "192.0.2.2", port4.addPeer(InetAddress.getByName("192.0.2.2")).ipText());
    }
}
