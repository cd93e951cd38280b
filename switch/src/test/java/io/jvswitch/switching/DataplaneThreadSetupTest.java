package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvswitch.switching.port.ReadySet;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

class DataplaneThreadSetupTest {
    @Test
    void setupRunsOnceOnTheDataplaneThread() throws Exception {
        final CompletableFuture<String> ranOn = new CompletableFuture<>();
        final int[] runs = new int[1];
        final SwitchContext ctx = new SwitchContext().dataplaneThreadSetup(() -> {
            runs[0]++;
            ranOn.complete(Thread.currentThread().getName());
        });
        try (Dataplane dp = new Dataplane(ctx, ReadySet.NONE, (slot, name) -> {}, Throwable::printStackTrace)) {
            dp.start();
            assertEquals("jvs-dataplane", ranOn.get(10, TimeUnit.SECONDS));
            dp.addNetwork(1, "n", 0, 0, EtherTypePolicy.IP_ONLY).get(10, TimeUnit.SECONDS); // cycles go on
        }
        assertEquals(1, runs[0]);
    }

    @Test
    void setupIsRequired() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new SwitchContext().dataplaneThreadSetup(null).conclude());
    }
}
