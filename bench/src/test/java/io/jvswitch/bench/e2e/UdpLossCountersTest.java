package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Map;

class UdpLossCountersTest {
    // as `ip -s -j link show` prints it (iproute2 6.x), trimmed to the fields that matter
    private static final String LINKS = """
        [{"ifindex":1,"ifname":"lo","stats64":{"rx":{"bytes":0,"packets":0,"dropped":0},
          "tx":{"bytes":0,"packets":0,"errors":0,"dropped":3,"carrier_errors":0}}},
         {"ifindex":2,"ifname":"eth0","stats64":{"rx":{"bytes":10,"packets":1,"dropped":0},
          "tx":{"bytes":5000,"packets":90,"errors":0,"dropped":444778,"carrier_errors":0}}}]
        """;

    private static final String SNMP = """
        Ip: Forwarding DefaultTTL InReceives
        Ip: 2 64 100
        Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
        Udp: 361346 0 117417 1 117417 0 0 0 0
        UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
        UdpLite: 0 0 0 0 9 0 0 0 0
        """;

    @Test
    void sumsTransmitDropsOverTheSendersInterfaces() {
        assertEquals(444_781, UdpLossCounters.txDropped(LINKS));
        assertEquals(0, UdpLossCounters.txDropped("[]"));
    }

    @Test
    void readsUdpReceiveBufferErrorsNotUdpLites() {
        assertEquals(117_417, UdpLossCounters.udpRcvbufErrors(SNMP));
    }

    @Test
    void refusesOutputItCannotRead() {
        assertThrows(IllegalArgumentException.class, () -> UdpLossCounters.txDropped("Device \"x\" does not exist."));
        assertThrows(IllegalArgumentException.class, () -> UdpLossCounters.txDropped("[{\"ifname\":\"eth0\"}]"));
        assertThrows(IllegalArgumentException.class, () -> UdpLossCounters.udpRcvbufErrors("Ip: Forwarding\nIp: 1\n"));
        assertThrows(
                IllegalArgumentException.class,
                () -> UdpLossCounters.udpRcvbufErrors("Udp: InDatagrams NoPorts\nUdp: 1 2\n"));
    }

    @Test
    void theReportSaysWhereTheLostDatagramsWent() {
        final BenchResults r = ResultsFixture.threeRuns();
        final long[][] runs = {{1000, 600, 500, 60}, {1000, 700, 550, 100}, {1000, 500, 450, 0}};
        for (int run = 0; run < 3; run++) {
            final Map<String, Object> raw = Map.of(
                    "packets",
                    runs[run][0],
                    "lostPackets",
                    runs[run][1],
                    UdpLossCounters.SENDER_QUEUE_DROPS,
                    runs[run][2],
                    UdpLossCounters.RECEIVER_SOCKET_DROPS,
                    runs[run][3]);
            r.record("bridge", run, Figure.UDP_64_LOSS, runs[run][1] / 10.0, raw);
        }
        final String table = ResultTable.format(r);
        // at the sender 50, 55, 45 %; at the receiver 6, 10, 0 %; in between 4, 5, 5 %
        assertTrue(
                table.contains("UDP 64B loss on kernel bridge+veth, where (% of datagrams sent, median of 3 runs): "
                        + "50.0 at the sender's interface queue, 6.0 at the receiving socket, 5.0 in between"),
                table);
        assertTrue(!table.contains("UDP 64B loss on jvs switch"), "runs without the counters get no note: " + table);
    }
}
