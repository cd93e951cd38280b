package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

class ThreadNiceTest {
    /** Field 19 of /proc/thread-self/stat: the thread's nice value as the kernel holds it. */
    private static int kernelNice() throws Exception {
        final String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    @Test
    void changesOnlyTheCallingThread() throws Exception {
        final int before = kernelNice();
        final CompletableFuture<Integer> seen = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try {
                ThreadNice.applyToCurrentThread(7); // raising nice needs no privilege
                seen.complete(kernelNice());
            } catch (Exception e) {
                seen.completeExceptionally(e);
            }
        });
        assertEquals(7, seen.get(10, TimeUnit.SECONDS));
        assertEquals(before, kernelNice());
    }

    @Test
    void outOfRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ThreadNice.applyToCurrentThread(20));
        assertThrows(IllegalArgumentException.class, () -> ThreadNice.applyToCurrentThread(-21));
    }
}
