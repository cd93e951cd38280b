package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.EtherTypePolicy;
import io.jvswitch.switching.PortCounter;
import io.jvswitch.switching.PortSecurity;
import io.jvswitch.switching.PortStats;
import io.jvswitch.switching.SwitchContext;
import io.jvswitch.switching.port.MemoryPort;
import io.jvswitch.switching.port.ReadySet;
import io.jvswitch.testsupport.Await;
import io.jvswitch.testsupport.FrameBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A write the TAP refuses reaches the switch's drop counters on both TAP paths: a real TAP left
 * down (the tun driver answers a write with EIO) gets flooded ARP requests through a real
 * dataplane. With one write(2) per frame the refusal is known at once; with io_uring it is learnt
 * when the batch completes, after the switch counted the frame sent, and is then moved to
 * {@code tx-rejected} all the same.
 */
class TransmitFailuresTest {
    static final int FRAMES = 3;
    static final long MAC_A = FrameBuilder.mac("02:4a:0a:00:00:02");
    static final long MAC_D = FrameBuilder.mac("02:4a:0a:00:00:03");

    final TestNamespaces namespaces = new TestNamespaces();
    Dataplane dp;

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        if (dp != null) {
            dp.close();
        }
        namespaces.close();
    }

    @Test
    void aRefusedBatchedWriteIsCountedAsRejectedNotSent() throws Exception {
        assertRefusalsCounted(namespaces.track(UringReadySet.create()));
    }

    /** The reference: the same refusals through one write(2) per frame. */
    @Test
    void aRefusedWriteIsCountedAsRejectedNotSent() throws Exception {
        assertRefusalsCounted(namespaces.track(new EpollReadySet()));
    }

    private void assertRefusalsCounted(ReadySet ready) throws Exception {
        final String ns = namespaces.create();
        final TapDevice device = namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), "jvsd0", false));
        final TapPort down = new TapPort(device, 1500); // the device is left down
        final MemoryPort sender = new MemoryPort("a", 1500, true, false);
        dp = new Dataplane(new SwitchContext(), ready, (slot, name) -> {}, Throwable::printStackTrace);
        call(dp.addNetwork(
                1, "n", FrameBuilder.ip("10.0.0.1"), FrameBuilder.mac("02:4a:0a:00:00:01"), EtherTypePolicy.IP_ONLY));
        call(dp.plug(1, sender, MAC_A, FrameBuilder.ip("10.0.0.2"), PortSecurity.ALLOW_SPOOFING));
        final int slot = call(dp.plug(1, down, MAC_D, FrameBuilder.ip("10.0.0.3"), PortSecurity.ALLOW_SPOOFING));
        for (int i = 0; i < FRAMES; i++) {
            // for an address nobody has: flooded, so written to the TAP that is down
            sender.inject(FrameBuilder.arpRequest(MAC_A, FrameBuilder.ip("10.0.0.2"), FrameBuilder.ip("10.0.0.9")));
        }
        final PortStats stats = Await.until(
                "the refused writes counted",
                Duration.ofSeconds(5),
                () -> {
                    dp.runDutyCycle();
                    return portStats(slot);
                },
                s -> s.drops().getOrDefault("tx-rejected", 0L) == FRAMES);
        assertEquals(0, stats.get(PortCounter.TX_FRAMES), "none counted as sent: " + stats);
        assertEquals(0, stats.get(PortCounter.TX_BYTES), stats.toString());
        assertEquals(FRAMES, down.txLinkDown());
        assertTrue(stats.drops().keySet().stream().allMatch("tx-rejected"::equals), stats.toString());
    }

    private PortStats portStats(int slot) {
        return call(dp.portStats()).stream()
                .filter(s -> s.slot() == slot)
                .findFirst()
                .orElseThrow();
    }

    private <T> T call(CompletableFuture<T> future) {
        dp.runDutyCycle();
        return Dataplane.await(future);
    }
}
