package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.OverlayLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A sender on the underlay that spoofs a peer's address (VXLAN has no authentication): two hosts
 * running jvs, an overlay network across them, and forged VXLAN datagrams from a raw socket in host
 * B's namespace claiming to come from host A's second configured peer. Host A must not let them
 * take its containers' MACs, its gateway's or containers' addresses, or a remote container's
 * address another peer holds.
 */
class VxlanForgeryIT {
    static final int VNI = 4343;
    static final String FORGED_PEER = "10.202.0.4";
    static final String ATTACKER_MAC = "026666666666";

    DaemonFixture a;
    DaemonFixture b;

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (a != null) {
                a.close();
            }
        } finally {
            if (b != null) {
                b.close();
            }
        }
    }

    private static String hexIp(String dotted) {
        final StringBuilder out = new StringBuilder();
        for (String part : dotted.split("\\.")) {
            out.append(String.format("%02x", Integer.parseInt(part)));
        }
        return out.toString();
    }

    private static String macOf(DaemonFixture f, String container) {
        return f.lab.check(container, "cat", "/sys/class/net/eth0/address").strip();
    }

    private JsonNode tunnelDrops() {
        final JsonNode port = a.port("vxlan:multi");
        if (port == null) {
            throw new AssertionError("no tunnel port on host A");
        }
        return port.path("drops");
    }

    @Test
    void forgedFramesFromASpoofedPeerTakeNoLocalMacNorAddressNorAnotherPeersAddress() throws Exception {
        a = new DaemonFixture("jvsit-vfa");
        b = new DaemonFixture("jvsit-vfb");
        new OverlayLab(a.lab).underlay(a.host, "ua", "10.202.0.1/24", b.host, "ub", "10.202.0.2/24");
        a.ok(
                "network",
                "create",
                "multi",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(VNI),
                "--subnet",
                "10.69.0.0/24",
                "--ip-range",
                "10.69.0.0/25",
                "--local",
                "10.202.0.1",
                "--peer",
                "10.202.0.2",
                "--peer",
                FORGED_PEER);
        b.ok(
                "network",
                "create",
                "multi",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(VNI),
                "--subnet",
                "10.69.0.0/24",
                "--ip-range",
                "10.69.0.128/25",
                "--local",
                "10.202.0.2",
                "--peer",
                "10.202.0.1");
        final String c1 = a.container("c1");
        final String c2 = b.container("c2");
        a.ok("attach", "--netns", c1, "--network", "multi", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "multi", "--name", "c2");
        final String ip1 = a.ipOf("multi", "c1");
        final String ip2 = b.ipOf("multi", "c2");
        final String mac1 = macOf(a, c1).replace(":", "");
        final String mac2 = macOf(b, c2);
        assertTrue(a.ping(c1, ip2, 2), "c1 -> c2 across the overlay: host A learns c2 from host B");

        // Forged inner frames, each in a VXLAN datagram from FORGED_PEER (a raw socket in host B)
        final String bcast = "ffffffffffff";
        final String arpHead = "0806" + "000108000604";
        final String claimC2 =
                bcast + ATTACKER_MAC + arpHead + "0001" + ATTACKER_MAC + hexIp(ip2) + "000000000000" + hexIp(ip2);
        final String claimGateway = bcast + ATTACKER_MAC + arpHead + "0001" + ATTACKER_MAC + hexIp("10.69.0.1")
                + "000000000000" + hexIp("10.69.0.1");
        final String claimC1 = bcast + ATTACKER_MAC + arpHead + "0002" + ATTACKER_MAC + hexIp(ip1) + mac1 + hexIp(ip1);
        final String asC1 = bcast + mac1 + "0800" + "45000014000000004011" + "0000" + hexIp(ip1) + hexIp(ip2);
        final String asC2 =
                mac1 + mac2.replace(":", "") + "0800" + "45000014000000004011" + "0000" + hexIp(ip2) + hexIp(ip1);
        final Path sender = a.dir.resolve("forge-vxlan.py");
        Files.writeString(sender, """
            import socket, struct, sys
            src, dst, vni = sys.argv[1], sys.argv[2], int(sys.argv[3])
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            for frame in sys.argv[4:]:
                payload = struct.pack('!II', 0x08000000, vni << 8) + bytes.fromhex(frame)
                udp = struct.pack('!HHHH', 40000, 4789, 8 + len(payload), 0) + payload
                ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                                 socket.inet_aton(src), socket.inet_aton(dst))
                for _ in range(3):
                    s.sendto(ip + udp, (dst, 0))
            print('sent', len(sys.argv) - 4)
            """);
        b.lab.check(
                b.host,
                "python3",
                sender.toString(),
                FORGED_PEER,
                "10.202.0.1",
                Integer.toString(VNI),
                claimC2,
                claimGateway,
                claimC1,
                asC1,
                asC2);

        final JsonNode drops = Await.until(
                "the forged frames are counted",
                Duration.ofSeconds(10),
                () -> tunnelDrops(),
                d -> d.path("tunnel-spoofed-arp").asLong() >= 9);
        assertEquals(9, drops.path("tunnel-spoofed-arp").asLong(), "claims on c2, the gateway, c1: " + drops);
        assertEquals(3, drops.path("tunnel-local-mac").asLong(), "frames as c1: " + drops);
        final JsonNode underlay =
                a.ok("network", "inspect", "multi").json().path(0).path("Overlay");
        assertTrue(
                underlay.toString().contains("\"mac-of-another-peer\":3"),
                "frames with c2's MAC from the other peer: " + underlay);

        // Nothing reached c1's ARP cache; host A still answers for c2 with c2's MAC
        final String neighbours = a.lab.check(c1, "ip", "neigh", "show");
        assertFalse(neighbours.contains("02:66:66:66:66:66"), "c1's ARP cache untouched: " + neighbours);
        a.lab.check(c1, "ip", "neigh", "flush", "dev", "eth0");
        assertTrue(a.ping(c1, ip2, 2), "c1 still reaches c2");
        assertTrue(a.lab.check(c1, "ip", "neigh", "show", ip2).contains(mac2), "answered with c2's own MAC");
        // c1's MAC stayed on c1's port: frames from host B still reach it
        assertTrue(b.ping(c2, ip1, 2), "c2 still reaches c1");
        System.out.println("forged VXLAN from a spoofed peer: tunnel drops " + drops + "; c1 -> c2 unaffected");
    }
}
