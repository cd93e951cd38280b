package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.NetnsLab;
import io.jvswitch.control.lab.OverlayLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * VXLAN over an IPv6 underlay: two jvs hosts joined by a veth with IPv6 addresses only, carrying a
 * dual-stack overlay network; and a third host whose overlay is the Linux kernel's vxlan device
 * over IPv6 (which requires outer UDP checksums, as RFC 8200 does), joined to host A by a second
 * IPv6-only link. ping, ping6 and TCP across both.
 */
class Ipv6VxlanIT {
    static final int VNI = 4343;
    static final int KERNEL_VNI = 5050;
    static DaemonFixture a;
    static DaemonFixture b;
    static String hostK;
    static String c1;
    static String c2;
    static String c3;
    static String k1;

    @BeforeAll
    static void setUp() throws Exception {
        a = new DaemonFixture("jvsit-v6vxa");
        b = new DaemonFixture("jvsit-v6vxb");
        ipv6Link(a.lab, a.host, "u6a", "fd00:200::1", b.host, "u6b", "fd00:200::2");
        hostK = a.lab.add("hostk6");
        ipv6Link(a.lab, a.host, "u6k", "fd00:201::1", hostK, "u6k", "fd00:201::2");
        k1 = a.lab.add("k16");
        // the kernel's VTEP over IPv6, with its defaults (outer UDP checksums on, zero ones refused)
        new OverlayLab(a.lab)
                .kernelVxlanHost(
                        hostK,
                        "u6k",
                        KERNEL_VNI,
                        "fd00:201::2",
                        "fd00:201::1",
                        k1,
                        1430,
                        "10.80.0.100/24",
                        "fd00:80::100/64");
        // A wire carries datagrams: the kernel host segments before its underlay, as a NIC would.
        a.lab.check(
                hostK, "ethtool", "-K", "u6k", "tx-udp_tnl-segmentation", "off", "tx-udp_tnl-csum-segmentation", "off");
        a.ok(overlay("--ip-range", "10.79.0.0/25", "--local", "fd00:200::1", "--peer", "fd00:200:0:0::2"));
        b.ok(overlay("--ip-range", "10.79.0.128/25", "--local", "fd00:200::2", "--peer", "fd00:200::1"));
        a.ok(
                "network",
                "create",
                "kx6",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(KERNEL_VNI),
                "--ipv6",
                "--subnet",
                "10.80.0.0/24",
                "--subnet",
                "fd00:80::/64",
                "--local",
                "fd00:201::1",
                "--peer",
                "fd00:201::2");
        c1 = a.container("c1");
        c2 = b.container("c2");
        c3 = a.container("c3");
        a.ok("attach", "--netns", c1, "--network", "dual", "--name", "c1", "--ip6", "fd00:79::a");
        b.ok("attach", "--netns", c2, "--network", "dual", "--name", "c2", "--ip6", "fd00:79::b");
        a.ok("attach", "--netns", c3, "--network", "kx6", "--name", "c3", "--ip6", "fd00:80::3");
    }

    static String[] overlay(String... more) {
        final String[] base = {
            "network",
            "create",
            "dual",
            "--driver",
            "overlay",
            "--vni",
            Integer.toString(VNI),
            "--ipv6",
            "--subnet",
            "10.79.0.0/24",
            "--subnet",
            "fd00:79::/64"
        };
        final String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /** A veth between two hosts with an IPv6 address at each end and no IPv4 at all; usable at once (nodad). */
    static void ipv6Link(
            NetnsLab lab, String hostA, String ifA, String addressA, String hostB, String ifB, String addressB) {
        lab.check(hostA, "ip", "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", hostB);
        lab.check(hostA, "ip", "addr", "add", addressA + "/64", "dev", ifA, "nodad");
        lab.check(hostA, "ip", "link", "set", ifA, "up");
        lab.check(hostB, "ip", "addr", "add", addressB + "/64", "dev", ifB, "nodad");
        lab.check(hostB, "ip", "link", "set", ifB, "up");
    }

    @AfterAll
    static void tearDown() {
        DaemonFixture.closeKeepingLogs("Ipv6VxlanIT", a, b);
    }

    static boolean ping6(DaemonFixture f, String from, String address) {
        return f.lab.exec(from, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", address)
                .ok();
    }

    @Test
    void aDualStackOverlayCrossesAnIpv6OnlyUnderlay() throws Exception {
        final String ip2 = b.ipOf("dual", "c2");
        assertTrue(a.ping(c1, ip2, 3), "c1 (host A) -> c2 (host B) over IPv4\n" + a.daemon.logText());
        assertTrue(ping6(a, c1, "fd00:79::b"), "c1 -> c2 over IPv6");
        assertTrue(ping6(b, c2, "fd00:79::a"), "c2 -> c1 over IPv6");
        // host A learned c2's IPv6 address from that exchange (as its IPv4 one from ARP): the next
        // solicitation for it is answered on host A, none crosses the IPv6 underlay
        Ipv6OnlyOverlayIT.secondSolicitationIsAnsweredLocally(a, c1, b, "u6b", "dual", "fd00:79::b");
        assertTrue(
                a.lab.check(c1, "ip", "link", "show", "eth0").contains("mtu 1430"),
                "the overlay MTU leaves room for the 70 bytes of outer IPv6, UDP, VXLAN and inner Ethernet");
        final JsonNode o = a.ok("network", "inspect", "dual").json().path(0).path("Overlay");
        assertEquals("fd00:200::1", o.path("Local").asText());
        assertEquals("fd00:200::2", o.path("Peers").path(0).path("Address").asText(), "the peer, canonical");
        assertTrue(o.path("Peers").path(0).path("Counters").path("RxFrames").asLong() >= 3, o.toString());
        final String fdb = a.ok("fdb", "dual").out();
        assertTrue(fdb.contains("fd00:200::2"), "remote MACs learned behind the IPv6 VTEP:\n" + fdb);
        // full-size TCP both ways, IPv6 inside IPv6 and IPv4 inside IPv6
        VxlanIT.iperf(b, c2, a, c1, "fd00:79::b", 1);
        VxlanIT.iperf(a, c1, b, c2, a.ipOf("dual", "c1"), 1);
    }

    /** The encap and decap capture points show the datagrams with their outer IPv6 headers, checksums valid. */
    @Test
    void theUnderlayCaptureShowsOuterIpv6Headers() throws Exception {
        final Path file = a.dir.resolve("underlay6.pcap");
        final Process capture = CaptureProcess.start(
                a,
                a.dir.resolve("underlay6.err"),
                "vxlan:dual",
                "--point",
                "encap,decap",
                "udp port 4789",
                "-c",
                "6",
                "-w",
                file.toString());
        assertTrue(ping6(a, c1, "fd00:79::b"));
        CaptureProcess.awaitCount(capture, a.dir.resolve("underlay6.err"));
        final String fields = CaptureProcess.tool(
                "tshark",
                "-r",
                file.toString(),
                "-o",
                "udp.check_checksum:TRUE",
                "-T",
                "fields",
                "-e",
                "ipv6.src",
                "-e",
                "ipv6.dst",
                "-e",
                "udp.dstport",
                "-e",
                "vxlan.vni",
                "-e",
                "udp.checksum.status");
        assertTrue(
                fields.contains("fd00:200::1,fd00:79::a\tfd00:200::2,fd00:79::b\t4789\t" + VNI + "\t1"),
                "encap: outer IPv6 from host A to host B, inner IPv6, UDP checksum good\n" + fields);
        assertTrue(
                fields.contains("fd00:200::2,fd00:79::b\tfd00:200::1,fd00:79::a\t4789\t" + VNI + "\t1"),
                "decap: as it came from host B\n" + fields);
    }

    @Test
    void jvsAndTheKernelsVxlanDeviceInteroperateOverIpv6() throws Exception {
        assertTrue(a.ping(c3, "10.80.0.100", 3), "jvs -> kernel VTEP over IPv6, IPv4 inside\n" + a.daemon.logText());
        assertTrue(ping6(a, c3, "fd00:80::100"), "jvs -> kernel VTEP over IPv6, IPv6 inside");
        assertTrue(ping6(a, k1, "fd00:80::3"), "kernel -> jvs");
        // the kernel's vxlan accepts only datagrams with a correct UDP checksum over IPv6: TCP both ways
        VxlanIT.iperf(a, k1, a, c3, "fd00:80::100", 1);
        VxlanIT.iperf(a, c3, a, k1, a.ipOf("kx6", "c3"), 1);
    }

    /** --ttl is the outer hop limit over IPv6, as host B's underlay interface sees it. */
    @Test
    void ttlSetsTheOuterHopLimit() throws Exception {
        a.ok(
                "network",
                "create",
                "hops",
                "--driver",
                "overlay",
                "--vni",
                "4444",
                "--subnet",
                "10.82.0.0/24",
                "--local",
                "fd00:200::1",
                "--peer",
                "fd00:200::2",
                "--ttl",
                "7",
                "--vxlan-port",
                "4790"); // its own socket: the one on 4789 sends with 64
        final String c4 = a.container("c4");
        a.ok("attach", "--netns", c4, "--network", "hops", "--name", "c4");
        final Path out = b.dir.resolve("hops.txt");
        final Process tcpdump = b.lab.start(
                b.host, out, "timeout", "15", "tcpdump", "-i", "u6b", "-c", "1", "-nv", "udp port 4790 and ip6[7] = 7");
        try {
            Readiness.printed(out, "listening on");
            // an ARP broadcast for an absent address is replicated to the peer
            a.lab.exec(c4, "ping", "-c", "2", "-W", "1", "10.82.0.200");
            tcpdump.waitFor();
            assertTrue(Files.readString(out).contains("hlim 7"), Files.readString(out));
        } finally {
            tcpdump.destroy();
            tcpdump.waitFor();
        }
    }

    @Test
    void peersOfTheOtherFamilyAreRefused() {
        final DaemonFixture.Cli mixed = a.jvs(
                "network",
                "create",
                "mixed",
                "--driver",
                "overlay",
                "--subnet",
                "10.81.0.0/24",
                "--local",
                "fd00:200::1",
                "--peer",
                "10.200.0.2");
        assertEquals(1, mixed.exit(), mixed.err());
        assertTrue(mixed.err().contains("an overlay's underlay is one family"), mixed.err());
        final DaemonFixture.Cli added = a.jvs("network", "peer", "add", "dual", "192.0.2.9");
        assertTrue(added.exit() != 0 && added.err().contains("one family"), added.err());
        final DaemonFixture.Cli linkLocal = a.jvs("network", "peer", "add", "dual", "fe80::1");
        assertTrue(linkLocal.exit() != 0 && linkLocal.err().contains("routable unicast"), linkLocal.err());
        assertTrue(a.jvs("network", "inspect", "mixed").exit() != 0, "no network was created");
    }
}
