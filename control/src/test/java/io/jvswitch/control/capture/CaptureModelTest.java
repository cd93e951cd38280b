package io.jvswitch.control.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;

/** {@link CapturedFrame}, {@link DropReasonLog} and {@link PcapFileOptions}: no native code. */
class CaptureModelTest {

    @Test
    void frameChecksItsFields() {
        byte[] data = new byte[60];
        CapturedFrame rx = CapturedFrame.of(1, "veth-a", CapturedFrame.RX, null, data);
        assertEquals(60, rx.originalLength());
        assertNull(rx.dropReason());
        CapturedFrame drop = new CapturedFrame(1, "veth-a", CapturedFrame.DROP, null, 100, data);
        assertEquals("unknown", drop.dropReason());
        assertTrue(drop.isDrop());
        assertEquals(60, drop.capturedLength());
        assertEquals(
                "a drop reason needs point 'drop', not 'tx'",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> new CapturedFrame(1, "p", CapturedFrame.TX, "x", 60, data))
                        .getMessage());
        assertEquals(
                "capture point must be one of rx, tx, drop, pre-nat, post-nat, dns, encap, decap, not 'in'",
                assertThrows(IllegalArgumentException.class, () -> new CapturedFrame(1, "p", "in", null, 60, data))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CapturedFrame(1, "p", CapturedFrame.RX, null, 59, data));
        assertTrue(drop.toString().contains("dropReason=unknown"));
    }

    @Test
    void dropReasonLogWritesTabSeparatedLines() throws IOException {
        StringWriter out = new StringWriter();
        DropReasonLog log = new DropReasonLog(out);
        log.log(1, "veth-a", "no-route");
        log.log(12, "veth\tb", "bad\nreason");
        log.log(13, "", null);
        assertEquals("1\tveth-a\tno-route\n12\tveth b\tbad reason\n13\t-\t-\n", out.toString());
        assertThrows(IllegalArgumentException.class, () -> log.log(0, "p", "r"));
        StringBuilder sb = new StringBuilder();
        new DropReasonLog(sb, false).log(3, "p", "r");
        assertEquals("3\tp\tr\n", sb.toString());
    }

    @Test
    void optionsValidateLikeTcpdump() {
        assertEquals(
                "-W needs -C or -G: it limits how many rotated files are kept",
                assertThrows(IllegalArgumentException.class, () -> new PcapFileOptions(0, 0, 0, 3, 0))
                        .getMessage());
        assertEquals(PcapFileOptions.DEFAULT_SNAPLEN, new PcapFileOptions(0, 0, 0, 0, 0).snaplen());
        assertEquals(PcapFileOptions.DEFAULT_SNAPLEN, new PcapFileOptions(0, 0, 0, 0, 1 << 20).snaplen());
        assertEquals(
                2_000_000L, PcapFileOptions.defaults().withRotateMegabytes(2).rotateBytes());
        assertThrows(
                IllegalArgumentException.class, () -> PcapFileOptions.defaults().withCount(-1));
        assertThrows(
                IllegalArgumentException.class, () -> PcapFileOptions.defaults().withSnaplen(-5));
        assertThrows(
                IllegalArgumentException.class, () -> PcapFileOptions.defaults().withRotateSeconds(-1));
        assertTrue(
                PcapFileOptions.defaults().withRotateSeconds(3).withRingFiles(2).rotates());
        assertEquals(
                new PcapFileOptions(5, 0, 0, 0, 96),
                PcapFileOptions.defaults().withCount(5).withSnaplen(96));
    }
}
