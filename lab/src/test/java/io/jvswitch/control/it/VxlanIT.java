package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.api.Json;
import io.jvswitch.control.lab.OverlayLab;
import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

/**
 * Two hosts (namespaces, each running a jvs daemon) joined by a veth underlay, with an overlay
 * network across them; and a third host whose overlay is the Linux kernel's vxlan device + bridge,
 * joined to host A by a second underlay link, on a second overlay network.
 */
class VxlanIT {
    static final int VNI = 4242;
    static final int KERNEL_VNI = 5000;
    static DaemonFixture a;
    static DaemonFixture b;
    static String hostK;
    static String c1;
    static String c2;
    static String c3;
    static String k1;

    @BeforeAll
    static void setUp() throws Exception {
        a = new DaemonFixture("jvsit-vxa");
        b = new DaemonFixture("jvsit-vxb");
        final OverlayLab overlay = new OverlayLab(a.lab);
        overlay.underlay(a.host, "ua", "10.200.0.1/24", b.host, "ub", "10.200.0.2/24");
        b.lab.check(b.host, "ip", "addr", "add", "10.200.0.3/24", "dev", "ub"); // a second address: not a peer
        hostK = a.lab.add("hostk");
        overlay.underlay(a.host, "uk", "10.201.0.1/24", hostK, "uk", "10.201.0.2/24");
        k1 = a.lab.add("k1");
        overlay.kernelVxlanHost(hostK, "uk", KERNEL_VNI, "10.201.0.2", "10.201.0.1", k1, "10.78.0.100/24");
        // A wire carries datagrams, not the kernel's tunnel super-packets, which a veth passes whole: the
        // kernel host segments before its underlay, as a NIC does in hardware. Checksum offload stays on.
        a.lab.check(
                hostK, "ethtool", "-K", "uk", "tx-udp_tnl-segmentation", "off", "tx-udp_tnl-csum-segmentation", "off");

        a.ok(
                "network",
                "create",
                "multi",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(VNI),
                "--subnet",
                "10.77.0.0/24",
                "--ip-range",
                "10.77.0.0/25",
                "--local",
                "10.200.0.1",
                "--peer",
                "10.200.0.2");
        b.ok(
                "network",
                "create",
                "multi",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(VNI),
                "--subnet",
                "10.77.0.0/24",
                "--ip-range",
                "10.77.0.128/25",
                "--local",
                "10.200.0.2",
                "--peer",
                "10.200.0.1");
        a.ok(
                "network",
                "create",
                "kx",
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(KERNEL_VNI),
                "--subnet",
                "10.78.0.0/24",
                "--local",
                "10.201.0.1",
                "--peer",
                "10.201.0.2");
        c1 = a.container("c1");
        c2 = b.container("c2");
        c3 = a.container("c3");
        a.ok("attach", "--netns", c1, "--network", "multi", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "multi", "--name", "c2");
        a.ok("attach", "--netns", c3, "--network", "kx", "--name", "c3");
    }

    @AfterAll
    static void tearDown() {
        DaemonFixture.closeKeepingLogs("VxlanIT", a, b);
    }

    static JsonNode overlayOf(DaemonFixture f, String network) {
        return f.ok("network", "inspect", network).json().path(0).path("Overlay");
    }

    @Test
    void containersOnTwoHostsPingAndLearnEachOther() {
        final String ip2 = b.ipOf("multi", "c2");
        assertTrue(ip2.startsWith("10.77.0.12"), ip2);
        assertTrue(a.ping(c1, ip2, 3), "c1 (host A) -> c2 (host B)\n" + a.daemon.logText());
        assertTrue(b.ping(c2, a.ipOf("multi", "c1"), 3), "c2 -> c1");
        assertTrue(a.lab.check(c1, "ip", "link", "show", "eth0").contains("mtu 1450"), "overlay MTU on the container");
        assertTrue(a.lab.check(c1, "ip", "neigh", "show", ip2).contains("02:4a:0a:4d:00:"), "ARP across the overlay");
        final String fdb = a.ok("fdb", "multi").out();
        assertTrue(fdb.contains("VTEP") && fdb.contains("10.200.0.2"), fdb);
        final JsonNode o = overlayOf(a, "multi");
        assertEquals(VNI, o.path("VNI").asInt());
        assertEquals("10.200.0.1", o.path("Local").asText());
        assertEquals("10.200.0.2", o.path("Peers").path(0).path("Address").asText());
        assertTrue(o.path("Peers").path(0).path("Counters").path("TxFrames").asLong() >= 3, o.toString());
        assertTrue(o.path("Peers").path(0).path("Counters").path("RxFrames").asLong() >= 3, o.toString());
    }

    /**
     * A synthetic packet to a remote container is addressed as c1 would address it (the MAC its ARP
     * gets, from the address book), and its trace names the tunnel, the VNI, the VTEP and the FDB
     * entry that chose it; the tunnel port can be captured as vxlan:NETWORK.
     */
    @Test
    void traceAcrossTheOverlayNamesTheVtepAndTunnelPortsCanBeCaptured() throws Exception {
        final String ip2 = b.ipOf("multi", "c2");
        final Path file = a.dir.resolve("tunnel.pcap");
        final Process capture = CaptureProcess.start(
                a, a.dir.resolve("tunnel.err"), "vxlan:multi", "icmp", "-c", "4", "-w", file.toString());
        assertTrue(a.ping(c1, ip2, 2), "c1 -> c2: host A learns c2's address and where its MAC is");
        CaptureProcess.awaitCount(capture, a.dir.resolve("tunnel.err")); // 2 requests out, 2 replies in
        final String tcpdump = CaptureProcess.tool("tcpdump", "-nr", file.toString());
        assertTrue(
                tcpdump.contains(a.ipOf("multi", "c1") + " > " + ip2 + ": ICMP echo request")
                        && tcpdump.contains(ip2 + " > " + a.ipOf("multi", "c1") + ": ICMP echo reply"),
                "the inner frames at the tunnel port\n" + tcpdump);

        final Path underlay = a.dir.resolve("underlay.pcap");
        final Process outer = CaptureProcess.start(
                a,
                a.dir.resolve("underlay.err"),
                "vxlan:multi",
                "--point",
                "encap,decap",
                "udp port 4789 and udp[39] = 1", // ICMP inside: UDP 8 + VXLAN 8 + Ethernet 14 + protocol at 9
                "-c",
                "4",
                "-w",
                underlay.toString());
        assertTrue(a.ping(c1, ip2, 2));
        CaptureProcess.awaitCount(outer, a.dir.resolve("underlay.err"));
        final String c1Ip = a.ipOf("multi", "c1");
        final String vxlan = CaptureProcess.tool(
                "tshark",
                "-r",
                underlay.toString(),
                "-T",
                "fields",
                "-e",
                "ip.src",
                "-e",
                "ip.dst",
                "-e",
                "udp.dstport",
                "-e",
                "vxlan.vni",
                "-e",
                "icmp.type");
        assertTrue(
                vxlan.contains("10.200.0.1," + c1Ip + "\t10.200.0.2," + ip2 + "\t4789\t" + VNI + "\t8"),
                "encap: the echo request inside its datagram to host B, VNI " + VNI + "\n" + vxlan);
        assertTrue(
                vxlan.contains("10.200.0.2," + ip2 + "\t10.200.0.1," + c1Ip + "\t4789\t" + VNI + "\t0"),
                "decap: the echo reply as it came from host B\n" + vxlan);

        final String trace = a.ok("trace", "--from", "c1", "icmp", "dst", ip2).out();
        final String c2Mac = b.port("c2").path("mac").asText();
        assertTrue(trace.contains("FDB of multi: " + c2Mac + " -> port "), "not broadcast, not flooded:\n" + trace);
        assertTrue(
                trace.contains("VXLAN VNI " + VNI
                        + ", from 10.200.0.1 to UDP port 4789 of VTEP 10.200.0.2: the remote FDB has " + c2Mac
                        + " behind 10.200.0.2"),
                trace);
        assertTrue(trace.contains("verdict: forwarded to "), trace);
    }

    /**
     * A TCP stream's 64 KiB super-frames leave as segments: the encap capture shows each datagram
     * as sent (VNI, outer headers within the underlay's MTU, inner TCP checksums complete).
     */
    @Test
    void encapCaptureShowsSegmentedSuperFramesAsSent() throws Exception {
        final Path file = a.dir.resolve("tso.pcap");
        final Process capture = CaptureProcess.start(
                a,
                a.dir.resolve("tso.err"),
                "vxlan:multi",
                "--point",
                "encap",
                "udp port 4789",
                "-c",
                "300",
                "-w",
                file.toString());
        iperf(b, c2, a, c1, b.ipOf("multi", "c2"), 1);
        if (capture.isAlive()) {
            CaptureProcess.interrupt(capture);
        }
        final List<String> lines = CaptureProcess.tool(
                        "tshark",
                        "-r",
                        file.toString(),
                        "-o",
                        "tcp.check_checksum:TRUE",
                        "-T",
                        "fields",
                        "-e",
                        "vxlan.vni",
                        "-e",
                        "ip.len",
                        "-e",
                        "tcp.len",
                        "-e",
                        "tcp.checksum.status")
                .strip()
                .lines()
                .toList();
        assertEquals(300, lines.size(), "-c 300 datagrams");
        int fullSegments = 0;
        for (String line : lines) {
            final String[] f = line.split("\t", -1);
            assertEquals(Integer.toString(VNI), f[0], line);
            final int outerLength = Integer.parseInt(f[1].split(",")[0]);
            assertTrue(outerLength <= 1500, "a segment within the underlay's MTU: " + line);
            if (!f[2].isEmpty() && Integer.parseInt(f[2]) >= 1000) {
                fullSegments++;
                assertEquals("1", f[3], "the inner TCP checksum is complete and good: " + line);
            }
        }
        assertTrue(fullSegments > 100, fullSegments + " full-sized segments of the stream");
    }

    @Test
    void arpForARemoteContainerIsAnsweredOnThisHost() {
        final String ip2 = b.ipOf("multi", "c2");
        // the first exchange: c2's ARP reply comes in through the tunnel and teaches host A's address book
        assertTrue(a.ping(c1, ip2, 1), "first exchange");
        // The container's own multicast (IPv6 MLD, say) may flood at any moment: a window in which
        // the who-has was answered and nothing at all went out to the peers shows that ARP did not.
        // A switch that flooded the who-has would flood it in every window.
        String seen = "";
        boolean answeredLocally = false;
        for (int attempt = 0; attempt < 3 && !answeredLocally; attempt++) {
            a.lab.check(c1, "ip", "neigh", "flush", "dev", "eth0");
            final JsonNode portBefore = a.port("c1");
            final JsonNode tunnelBefore = a.port("vxlan:multi");
            assertTrue(a.ping(c1, ip2, 1), "after the flush");
            final JsonNode portAfter = a.port("c1");
            final JsonNode tunnelAfter = a.port("vxlan:multi");
            assertTrue(
                    portAfter.path("arpAnswered").asLong()
                            > portBefore.path("arpAnswered").asLong(),
                    "the switch answered c1's who-has " + ip2 + ": " + portBefore + " -> " + portAfter);
            answeredLocally = tunnelBefore.path("floodedOut").asLong()
                    == tunnelAfter.path("floodedOut").asLong();
            seen += tunnelBefore + " -> " + tunnelAfter + "\n";
        }
        assertTrue(answeredLocally, "no broadcast replicated to the peers:\n" + seen);
        assertTrue(
                a.lab.check(c1, "ip", "neigh", "show", ip2).contains("02:4a:0a:4d:00:"), "c2's own MAC in the answer");
    }

    @Test
    void tcpAcrossTheOverlay() throws Exception {
        final double gbps = iperf(b, c2, a, c1, b.ipOf("multi", "c2"), 3);
        System.out.printf("VxlanIT: iperf3 TCP x1 over jvs VTEPs: %.2f Gb/s%n", gbps);
        final JsonNode sent = overlayOf(a, "multi").path("Counters");
        final JsonNode received = overlayOf(b, "multi").path("Counters");
        System.out.printf(
                "VxlanIT: host A sent %d frames, host B received %d%n",
                sent.path("TxFrames").asLong(), received.path("RxFrames").asLong());
        assertTrue(gbps > 0.05, gbps + " Gb/s");
    }

    @Test
    void peerRemovalStopsTrafficToThatPeer() throws Exception {
        final String ip2 = b.ipOf("multi", "c2");
        assertTrue(a.ping(c1, ip2, 1));
        a.ok("network", "peer", "rm", "multi", "10.200.0.2");
        try {
            assertTrue(overlayOf(a, "multi").path("Peers").isEmpty());
            assertTrue(a.stateFile().contains("\"peers\":[]") || !a.stateFile().contains("10.200.0.2"));
            final long rxBefore = b.ok("network", "inspect", "multi")
                    .json()
                    .path(0)
                    .path("Overlay")
                    .path("Peers")
                    .path(0)
                    .path("Counters")
                    .path("RxFrames")
                    .asLong();
            assertFalse(a.ping(c1, ip2, 2), "no peer: nothing reaches host B");
            final long rxAfter = overlayOf(b, "multi")
                    .path("Peers")
                    .path(0)
                    .path("Counters")
                    .path("RxFrames")
                    .asLong();
            assertEquals(rxBefore, rxAfter, "host B received nothing from A");
        } finally {
            a.ok("network", "peer", "add", "multi", "10.200.0.2");
        }
        assertTrue(a.ping(c1, ip2, 3), "peer back: traffic flows again");
    }

    @Test
    void interopWithTheKernelVxlanDeviceBothWaysAndOnTheWire() throws Exception {
        // The kernel container keeps its checksum offload: across this veth underlay its inner TCP
        // and UDP checksums arrive holding only the pseudo-header sum, and jvs passes them on as such.
        final Path pcap = a.dir.resolve("underlay.pcap");
        final Process tshark = a.lab.start(
                hostK, a.dir.resolve("tshark.txt"), "tshark", "-i", "uk", "-a", "duration:6", "-w", pcap.toString());
        try {
            Readiness.printed(a.dir.resolve("tshark.txt"), "Capturing on");
            assertTrue(a.ping(c3, "10.78.0.100", 3), "jvs container -> kernel container\n" + a.daemon.logText());
            assertTrue(a.ping(k1, a.ipOf("kx", "c3"), 3), "kernel container -> jvs container");
        } finally {
            tshark.waitFor();
        }
        final Path readable =
                Files.copy(pcap, a.dir.resolve("underlay-copy.pcap"), StandardCopyOption.REPLACE_EXISTING);
        final String vnis = new ProcessBuilder(
                        "tshark", "-r", readable.toString(), "-Y", "vxlan", "-T", "fields", "-e", "vxlan.vni")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start()
                .inputReader()
                .lines()
                .distinct()
                .reduce("", (x, y) -> x + y + "\n");
        assertEquals(
                Integer.toString(KERNEL_VNI),
                vnis.strip(),
                "every datagram on the underlay decodes as VXLAN, VNI 5000");
        try {
            assertTrue(iperf(a, k1, a, c3, "10.78.0.100", 2) > 0.05, "TCP jvs -> kernel");
            final double kernelToJvs = iperf(a, c3, a, k1, a.ipOf("kx", "c3"), 2);
            assertTrue(kernelToJvs > 0.05, "TCP kernel -> jvs: " + kernelToJvs + " Gb/s\n" + overlayOf(a, "kx"));
            assertTrue(
                    overlayOf(a, "kx")
                                    .path("Counters")
                                    .path("RxPartialChecksums")
                                    .asLong()
                            > 0,
                    "the kernel peer's partial checksums were seen and passed on: " + overlayOf(a, "kx"));
        } catch (RuntimeException e) {
            throw new AssertionError(
                    overlayOf(a, "kx") + "\n" + a.ok("ports").out() + "\n"
                            + a.lab.exec(hostK, "ip", "-s", "link").stdout()
                            + a.lab.exec(k1, "netstat", "-s").stdout(),
                    e);
        }
        assertTrue(iperf(a, c3, a, k1, a.ipOf("kx", "c3"), 2) > 0.05, "TCP kernel -> jvs");
    }

    @Test
    void badDatagramsAreDroppedAndCountedWhileGoodPeersKeepWorking() throws Exception {
        final Path script = a.dir.resolve("bad_vxlan.py");
        try (var in = VxlanIT.class.getResourceAsStream("/vxlan/bad_vxlan.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        final JsonNode before = overlayOf(a, "multi");
        b.lab.check(
                b.host,
                "python3",
                script.toString(),
                "10.200.0.1",
                "4789",
                Integer.toString(VNI),
                "10.200.0.2",
                "10.200.0.3");
        final JsonNode after = Await.until(
                "host A counts the bad datagrams",
                Duration.ofSeconds(10),
                () -> overlayOf(a, "multi"),
                now -> now.path("UnderlayDrops").path("unknown-vni").asLong()
                        > before.path("UnderlayDrops").path("unknown-vni").asLong());
        for (String reason : new String[] {"truncated", "bad-flags", "reserved-bits", "unknown-vni"}) {
            assertEquals(
                    before.path("UnderlayDrops").path(reason).asLong() + 1,
                    after.path("UnderlayDrops").path(reason).asLong(),
                    reason + ": " + after);
        }
        assertEquals(
                before.path("Counters").path("Drops").path("unknown-sender").asLong() + 1,
                after.path("Counters").path("Drops").path("unknown-sender").asLong(),
                after.toString());
        assertEquals(
                before.path("Peers")
                                .path(0)
                                .path("Counters")
                                .path("Drops")
                                .path("runt-inner")
                                .asLong()
                        + 1,
                after.path("Peers")
                        .path(0)
                        .path("Counters")
                        .path("Drops")
                        .path("runt-inner")
                        .asLong(),
                after.toString());
        assertTrue(a.ping(c1, b.ipOf("multi", "c2"), 2), "good peer traffic continues");
    }

    @Test
    void tcpThroughputOverJvsAndOverTheKernelInOneRun() throws Exception {
        // the kernel reference: two more hosts, each a kernel bridge + vxlan device
        final OverlayLab overlay = new OverlayLab(b.lab);
        final String h1 = b.lab.add("kh1");
        final String h2 = b.lab.add("kh2");
        final String r1 = b.lab.add("r1");
        final String r2 = b.lab.add("r2");
        overlay.underlay(h1, "u1", "10.202.0.1/24", h2, "u2", "10.202.0.2/24");
        overlay.kernelVxlanHost(h1, "u1", 6000, "10.202.0.1", "10.202.0.2", r1, "10.79.0.1/24");
        overlay.kernelVxlanHost(h2, "u2", 6000, "10.202.0.2", "10.202.0.1", r2, "10.79.0.2/24");
        final double kernel = iperf(b, r2, b, r1, "10.79.0.2", 4);
        final double jvs = iperf(b, c2, a, c1, b.ipOf("multi", "c2"), 4);
        System.out.println("VxlanIT: receiving side " + overlayOf(b, "multi").path("Counters"));
        System.out.printf(
                "VxlanIT: iperf3 TCP x1, 4 s: jvs VTEPs %.2f Gb/s, kernel bridge+vxlan %.2f Gb/s, ratio %.2f%n",
                jvs, kernel, jvs / kernel);
        assertTrue(jvs > 0 && kernel > 0);
    }

    /** iperf3, one TCP stream for {@code seconds}; returns the receiver's Gb/s. */
    static double iperf(
            DaemonFixture serverLab,
            String serverNs,
            DaemonFixture clientLab,
            String clientNs,
            String serverIp,
            int seconds)
            throws Exception {
        final Process server =
                serverLab.lab.start(serverNs, serverLab.dir.resolve("iperf3-server.txt"), "iperf3", "-s", "-1");
        try {
            Readiness.tcpListener(serverLab.lab, serverNs, 5201);
            final String out = clientLab.lab.check(
                    clientNs,
                    "timeout",
                    Integer.toString(seconds + 10),
                    "iperf3",
                    "-c",
                    serverIp,
                    "-t",
                    Integer.toString(seconds),
                    "-J");
            final JsonNode result = Json.mapper().readTree(out);
            final double gbps = result.path("end")
                            .path("sum_received")
                            .path("bits_per_second")
                            .asDouble()
                    / 1e9;
            if (gbps == 0) {
                throw new AssertionError("iperf3 reported nothing: " + out);
            }
            return gbps;
        } finally {
            server.destroy();
            server.waitFor();
        }
    }
}
