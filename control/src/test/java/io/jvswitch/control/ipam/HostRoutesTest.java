package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class HostRoutesTest {

    // Captured from a Docker host: default via 192.168.1.1, LAN 192.168.1.0/24, docker0 172.17.0.0/16,
    // a user network 172.18.0.0/16, a VPN route 10.8.0.0/24 and a /32 host route. Trailing spaces as
    // the kernel pads lines.
    static final String SAMPLE = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                      \s
            wlp2s0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0                                                                             \s
            tun0\t0000080A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               \s
            docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                              \s
            br-3f2a\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                              \s
            wlp2s0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0                                                                             \s
            tun0\t0505050A\t0100080A\t0007\t0\t0\t0\tFFFFFFFF\t0\t0\t0                                                                               \s
            wlp2s0\t0001A8C0\t00000000\t0001\t0\t0\t700\t00FFFFFF\t0\t0\t0                                                                             \s
            """;

    @Test
    void parsesRealisticSample() {
        assertEquals(
                List.of(
                        Cidr.parse("10.8.0.0/24"),
                        Cidr.parse("172.17.0.0/16"),
                        Cidr.parse("172.18.0.0/16"),
                        Cidr.parse("192.168.1.0/24"),
                        Cidr.parse("10.5.5.5/32")),
                HostRoutes.parse(SAMPLE));
    }

    @Test
    void sampleFeedsDefaultPools() {
        assertEquals(Cidr.parse("172.19.0.0/16"), DefaultPools.pick(HostRoutes.parse(SAMPLE)));
    }

    @Test
    void onlyDefaultRouteMeansNothingToAvoid() {
        String text = """
                Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
                eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
                """;
        assertEquals(List.of(), HostRoutes.parse(text));
        assertEquals(List.of(), HostRoutes.parse(""));
    }

    @Test
    void skipsMalformedLinesAndMasksHostBits() {
        String text = """
                Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
                garbage line
                eth0\tZZZZZZZZ\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
                eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0
                eth0\t0501A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
                """;
        assertEquals(List.of(Cidr.parse("192.168.1.0/24")), HostRoutes.parse(text));
    }

    @Test
    void bigEndianKernel() {
        String text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                + "eth0\tC0A80100\t00000000\t0001\t0\t0\t0\tFFFFFF00\t0\t0\t0\n";
        assertEquals(List.of(Cidr.parse("192.168.1.0/24")), HostRoutes.parse(text, ByteOrder.BIG_ENDIAN));
    }

    @Test
    void readsFileAndToleratesMissingFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("route");
        Files.writeString(file, SAMPLE);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            assertEquals(HostRoutes.parse(SAMPLE), HostRoutes.read(file));
        }
        assertEquals(List.of(), HostRoutes.read(dir.resolve("missing")));
    }

    @Test
    void readsThisNamespace() {
        // whatever the host has: must not throw, and never contains the default route
        for (Cidr c : HostRoutes.read()) {
            assertEquals(false, c.prefixLength() == 0, c.toString());
        }
    }
}
