package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Parsing real iperf3 3.12 {@code -J} output, saved from runs in namespaces. */
class IperfResultTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = IperfResultTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void tcpTakesTheReceiversSummary() throws IOException {
        final IperfResult r = IperfResult.parse(resource("iperf3-tcp-P2.json"));
        assertEquals(11371428062.4954, r.bitsPerSecond(), 1e-3);
        assertEquals(1429994036L, r.bytes());
        assertEquals(1.006026, r.seconds(), 1e-9);
        assertEquals(0, r.packets());
        assertEquals(0, r.lossPercent());
    }

    @Test
    void udpCountsDatagramsThatArrived() throws IOException {
        final IperfResult r = IperfResult.parse(resource("iperf3-udp-64.json"));
        assertEquals(176563, r.packets());
        assertEquals(37689, r.lostPackets());
        // 138874 datagrams of 64 bytes arrived: exactly the bytes the receiver counted
        assertEquals(8887936L / 64, r.packets() - r.lostPackets());
        assertEquals(138874 / 1.00027, r.receivedPacketsPerSecond(), 1e-6);
        assertEquals(100.0 * 37689 / 176563, r.lossPercent(), 1e-9);
    }

    /** iperf3 warns on stdout, before its JSON, when a UDP block exceeds the control connection's MSS. */
    @Test
    void aWarningBeforeTheJsonIsSkipped() throws IOException {
        final IperfResult r = IperfResult.parse(
                "warning: UDP block size 1472 exceeds TCP MSS 1448, may result in fragmentation / drops\n"
                        + resource("iperf3-udp-64.json"));
        assertEquals(176563, r.packets());
    }

    @Test
    void iperfErrorIsReportedWithItsMessage() throws IOException {
        final IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> IperfResult.parse(resource("iperf3-refused.json")));
        assertTrue(e.getMessage().contains("unable to connect to server"), e.getMessage());
    }

    @Test
    void garbageAndMissingSummaryAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> IperfResult.parse("iperf3: error - unable to connect"));
        assertThrows(IllegalArgumentException.class, () -> IperfResult.parse("[1, 2]"));
        assertThrows(IllegalArgumentException.class, () -> IperfResult.parse("{\"end\": {}}"));
        assertThrows(
                IllegalArgumentException.class,
                () -> IperfResult.parse(
                        "{\"end\": {\"sum_received\": {\"bytes\": 64, \"seconds\": 1, \"packets\": 1, \"lost_packets\": 2}}}"));
    }
}
