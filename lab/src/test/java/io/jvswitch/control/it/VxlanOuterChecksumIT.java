package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.control.lab.OverlayLab;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Outer UDP checksums on the IPv4 underlay. Host A (jvs) has three overlays: to host B (jvs), to a
 * kernel vxlan host that sends with outer checksums ({@code udpcsum}) and to one that sends
 * without ({@code noudpcsum}; the kernel's own default, with neither named, is to send them). jvs
 * sends every datagram with one;
 * a jvs peer's TCP stream arrives as UDP GSO sends, which jvs knows had one; the kernel peers'
 * single datagrams show no checksum through the socket, so their inner checksums are verified,
 * and both kinds are counted.
 */
class VxlanOuterChecksumIT {
    static DaemonFixture a;
    static DaemonFixture b;
    static String c1;
    static String c2;
    static String ca;
    static String cn;
    static String kc;
    static String kn;

    @BeforeAll
    static void setUp() throws Exception {
        a = new DaemonFixture("jvsit-vcsa");
        b = new DaemonFixture("jvsit-vcsb");
        final OverlayLab overlay = new OverlayLab(a.lab);
        overlay.underlay(a.host, "ub", "10.203.0.1/24", b.host, "ua", "10.203.0.2/24");
        final String hostC = a.lab.add("hostc");
        overlay.underlay(a.host, "uc", "10.204.0.1/24", hostC, "ua", "10.204.0.2/24");
        kc = a.lab.add("kc");
        overlay.kernelVxlanHost(hostC, "ua", 5001, "10.204.0.2", "10.204.0.1", kc, "10.81.0.100/24");
        outerChecksums(hostC, 5001, "10.204.0.2", "10.204.0.1", "udpcsum");
        final String hostN = a.lab.add("hostn");
        overlay.underlay(a.host, "un", "10.205.0.1/24", hostN, "ua", "10.205.0.2/24");
        kn = a.lab.add("kn");
        overlay.kernelVxlanHost(hostN, "ua", 5002, "10.205.0.2", "10.205.0.1", kn, "10.82.0.100/24");
        outerChecksums(hostN, 5002, "10.205.0.2", "10.205.0.1", "noudpcsum");
        for (String kernelHost : List.of(hostC, hostN)) {
            // a wire carries datagrams, not the kernel's tunnel super-packets (as in VxlanIT)
            a.lab.check(
                    kernelHost,
                    "ethtool",
                    "-K",
                    "ua",
                    "tx-udp_tnl-segmentation",
                    "off",
                    "tx-udp_tnl-csum-segmentation",
                    "off");
        }
        overlay("jj", a, 4343, "10.80.0.0/25", "10.203.0.1", "10.203.0.2");
        overlay("jj", b, 4343, "10.80.0.128/25", "10.203.0.2", "10.203.0.1");
        overlay("kc", a, 5001, "10.81.0.0/25", "10.204.0.1", "10.204.0.2");
        overlay("kn", a, 5002, "10.82.0.0/25", "10.205.0.1", "10.205.0.2");
        c1 = a.container("c1");
        c2 = b.container("c2");
        ca = a.container("ca");
        cn = a.container("cn");
        a.ok("attach", "--netns", c1, "--network", "jj", "--name", "c1");
        b.ok("attach", "--netns", c2, "--network", "jj", "--name", "c2");
        a.ok("attach", "--netns", ca, "--network", "kc", "--name", "ca");
        a.ok("attach", "--netns", cn, "--network", "kn", "--name", "cn");
    }

    /**
     * Makes the kernel host's vxlan device anew with {@code flag}, {@code udpcsum} or
     * {@code noudpcsum} (a vxlan device cannot change it).
     */
    private static void outerChecksums(String host, int vni, String local, String remote, String flag) {
        a.lab.check(host, "ip", "link", "del", "vx0");
        a.lab.check(
                host,
                "ip",
                "link",
                "add",
                "vx0",
                "type",
                "vxlan",
                "id",
                Integer.toString(vni),
                "dstport",
                "4789",
                "remote",
                remote,
                "local",
                local,
                "dev",
                "ua",
                flag);
        a.lab.check(host, "ip", "link", "set", "vx0", "master", "br0");
        a.lab.check(host, "ip", "link", "set", "vx0", "up");
    }

    private static void overlay(String name, DaemonFixture f, int vni, String range, String local, String peer) {
        final String subnet = range.replaceAll("\\.\\d+/25$", ".0/24");
        f.ok(
                "network",
                "create",
                name,
                "--driver",
                "overlay",
                "--vni",
                Integer.toString(vni),
                "--subnet",
                subnet,
                "--ip-range",
                range,
                "--local",
                local,
                "--peer",
                peer);
    }

    @AfterAll
    static void tearDown() {
        DaemonFixture.closeKeepingLogs("VxlanOuterChecksumIT", a, b);
    }

    private static JsonNode counters(DaemonFixture f, String network) {
        return VxlanIT.overlayOf(f, network).path("Counters");
    }

    @Test
    void jvsSendsOuterChecksumsAndTheReceiverSkipsTheInnerCheck() throws Exception {
        final Path pcap = a.dir.resolve("jj.pcap");
        final Process tshark = a.lab.start(
                a.host,
                a.dir.resolve("tshark-jj.txt"),
                "tshark",
                "-i",
                "ub",
                "-a",
                "duration:8",
                "-w",
                pcap.toString());
        try {
            Readiness.printed(a.dir.resolve("tshark-jj.txt"), "Capturing on");
            assertTrue(a.ping(c1, b.ipOf("jj", "c2"), 3), "jvs -> jvs\n" + a.daemon.logText());
            assertTrue(VxlanIT.iperf(a, c1, b, c2, a.ipOf("jj", "c1"), 2) > 0.05, "TCP B -> A");
        } finally {
            tshark.waitFor();
        }
        final List<String> checksums = fields(pcap, "udp", "udp.checksum");
        assertFalse(checksums.isEmpty(), "datagrams were captured");
        assertFalse(checksums.contains("0x0000"), "every datagram of both jvs hosts has an outer checksum");
        final JsonNode received = counters(a, "jj");
        assertTrue(received.path("RxOuterChecksummed").asLong() > 0, "the kernel joined B's datagrams: " + received);
    }

    @Test
    void aKernelPeerSendingOuterChecksumsInteroperatesAndIsCounted() throws Exception {
        final Exchange exchange = pingAndTcpBothWays("kc", "ca", ca, kc, "10.81.0.100", "uc", "10.204.0.2");
        assertFalse(exchange.kernelChecksums().isEmpty());
        assertFalse(exchange.kernelChecksums().contains("0x0000"), "udpcsum: " + exchange.kernelChecksums());
        final JsonNode received = exchange.counters();
        // its datagrams come one by one: their checksum is not visible through the socket
        assertEquals(
                received.path("RxFrames").asLong(),
                received.path("RxOuterChecksummed").asLong()
                        + received.path("RxOuterChecksumNotSeen").asLong(),
                received.toString());
        assertTrue(received.path("RxOuterChecksumNotSeen").asLong() > 0, received.toString());
    }

    @Test
    void aKernelPeerSendingWithoutOuterChecksumsIsVerifiedAsBefore() throws Exception {
        final Exchange exchange = pingAndTcpBothWays("kn", "cn", cn, kn, "10.82.0.100", "un", "10.205.0.2");
        assertEquals(
                List.of("0x0000"),
                exchange.kernelChecksums().stream().distinct().toList());
        final JsonNode received = exchange.counters();
        assertEquals(0, received.path("RxOuterChecksummed").asLong(), received.toString());
        assertEquals(
                received.path("RxFrames").asLong(),
                received.path("RxOuterChecksumNotSeen").asLong(),
                received.toString());
        assertTrue(received.path("RxOuterChecksumNotSeen").asLong() > 0, received.toString());
    }

    /** What a kernel peer's datagrams carried on the wire, and the network's counters on host A after. */
    record Exchange(List<String> kernelChecksums, JsonNode counters) {}

    /**
     * Ping each way (captured on A's underlay {@code link}, keeping the outer UDP checksums of what
     * the kernel host at {@code kernelUnderlay} sent), then one TCP stream each way, between jvs's
     * container ({@code endpoint}) on {@code network} and the kernel host's container at
     * {@code kernelIp}.
     */
    private static Exchange pingAndTcpBothWays(
            String network,
            String endpoint,
            String jvsContainer,
            String kernelContainer,
            String kernelIp,
            String link,
            String kernelUnderlay)
            throws Exception {
        final String jvsIp = a.ipOf(network, endpoint);
        final Path pcap = a.dir.resolve(network + ".pcap");
        final Path log = a.dir.resolve("tshark-" + network + ".txt");
        final Process tshark =
                a.lab.start(a.host, log, "tshark", "-i", link, "-a", "duration:5", "-w", pcap.toString());
        try {
            Readiness.printed(log, "Capturing on");
            assertTrue(a.ping(jvsContainer, kernelIp, 3), "jvs -> kernel on " + network + "\n" + a.daemon.logText());
            assertTrue(a.ping(kernelContainer, jvsIp, 3), "kernel -> jvs on " + network);
        } finally {
            tshark.waitFor();
        }
        final List<String> kernelChecksums = fields(pcap, "ip.src == " + kernelUnderlay, "udp.checksum");
        assertTrue(VxlanIT.iperf(a, kernelContainer, a, jvsContainer, kernelIp, 2) > 0.05, "TCP jvs -> kernel");
        assertTrue(
                VxlanIT.iperf(a, jvsContainer, a, kernelContainer, jvsIp, 2) > 0.05,
                "TCP kernel -> jvs on " + network + "\n" + counters(a, network));
        return new Exchange(kernelChecksums, counters(a, network));
    }

    /** One tshark field of every VXLAN datagram in a capture that {@code filter} selects, as printed. */
    private static List<String> fields(Path pcap, String filter, String field) throws Exception {
        final Path readable = Files.copy(
                pcap, pcap.resolveSibling(pcap.getFileName() + ".copy"), StandardCopyOption.REPLACE_EXISTING);
        final Process p = new ProcessBuilder(
                        "tshark", "-r", readable.toString(), "-Y", "vxlan && " + filter, "-T", "fields", "-e", field)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        final List<String> values = p.inputReader().lines().toList();
        p.waitFor();
        return values;
    }
}
