package io.jvswitch.control.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class BpfFilterTest {

    private static final Map<String, byte[]> FRAMES = new LinkedHashMap<>();

    static {
        FRAMES.put("arp", TestFrames.arpRequest());
        FRAMES.put("icmp", TestFrames.icmpEcho());
        FRAMES.put("syn", TestFrames.tcpSyn());
        FRAMES.put("dns", TestFrames.dnsQuery());
        FRAMES.put("from53", TestFrames.udpFromPort53());
        FRAMES.put("udp", TestFrames.udp(7000, 7001, new byte[20]));
    }

    @BeforeEach
    void needLibpcap() {
        Tools.assumeLibpcap();
    }

    private static List<String> selected(BpfFilter filter) {
        List<String> names = new ArrayList<>();
        FRAMES.forEach((name, frame) -> {
            if (filter.matches(frame, frame.length)) {
                names.add(name);
            }
        });
        return names;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            icmp                  | icmp
            arp                   | arp
            tcp port 80           | syn
            udp and dst port 53   | dns
            udp port 53           | dns from53
            udp                   | dns from53 udp
            ip                    | icmp syn dns from53 udp
            tcp[tcpflags] & tcp-syn != 0 | syn
            arp or icmp           | arp icmp
            ether src 02:00:00:00:00:02 | from53
            ''                    | arp icmp syn dns from53 udp
            """)
    void selectsExactlyTheRightFrames(String expression, String expected) {
        try (BpfFilter filter = BpfFilter.compile(expression, 0)) {
            assertEquals(List.of(expected.split(" ")), selected(filter), expression);
            assertEquals(expression, filter.expression());
        }
    }

    @Test
    void badExpressionGivesLibpcapsMessage() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> BpfFilter.compile("tcp prt 80", 0));
        assertEquals("invalid filter 'tcp prt 80': can't parse filter expression: syntax error", e.getMessage());
        IllegalArgumentException e2 =
                assertThrows(IllegalArgumentException.class, () -> BpfFilter.compile("host nosuchhost.invalid.", 0));
        assertTrue(e2.getMessage().startsWith("invalid filter 'host nosuchhost.invalid.': "), e2.getMessage());
    }

    @Test
    void onlyTheGivenLengthIsExamined() {
        byte[] syn = TestFrames.tcpSyn(); // 60 bytes with padding
        byte[] buffer = Arrays.copyOf(syn, 2048);
        Arrays.fill(buffer, syn.length, buffer.length, (byte) 0xee);
        try (BpfFilter less = BpfFilter.compile("less 100", 0);
                BpfFilter port = BpfFilter.compile("tcp dst port 80", 0)) {
            assertTrue(less.matches(buffer, syn.length));
            assertFalse(less.matches(buffer, buffer.length));
            assertFalse(less.matches(buffer, syn.length, 1500), "wire length counts");
            assertTrue(port.matches(buffer, syn.length));
            // Cut before the TCP ports: the filter cannot see them and rejects the frame.
            assertFalse(port.matches(buffer, 34, 60));
            assertThrows(IndexOutOfBoundsException.class, () -> port.matches(syn, 61));
            assertTrue(port.matches(CapturedFrame.of(0, "p", CapturedFrame.RX, null, syn)));
        }
    }

    @Test
    void closedFilterRefusesToMatch() {
        BpfFilter filter = BpfFilter.compile("arp", 96);
        assertEquals(96, filter.snaplen());
        filter.close();
        filter.close();
        byte[] arp = TestFrames.arpRequest();
        assertThrows(IllegalStateException.class, () -> filter.matches(arp, arp.length));
    }
}
