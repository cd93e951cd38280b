package io.jvswitch.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;

class RateLimitedLogTest {
    /** Records what reaches the underlying logger. */
    static final class Recorder implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "test";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(format);
        }
    }

    @Test
    void aFloodIsCutToABurstPerWindowAndTheRestIsCounted() {
        final Recorder recorder = new Recorder();
        final long[] now = {0};
        final RateLimitedLog log = new RateLimitedLog(recorder, 3, 1_000, () -> now[0]);
        for (int i = 0; i < 1000; i++) {
            log.log("bad-frame", System.Logger.Level.WARNING, "bad " + i, null);
        }
        log.log("other", System.Logger.Level.WARNING, "other kind", null);
        assertEquals(List.of("bad 0", "bad 1", "bad 2", "other kind"), recorder.lines);
        now[0] = 1_000;
        log.log("bad-frame", System.Logger.Level.WARNING, "bad again", null);
        assertEquals(
                List.of(
                        "bad 0",
                        "bad 1",
                        "bad 2",
                        "other kind",
                        "(997 more like the following were not logged)",
                        "bad again"),
                recorder.lines);
    }
}
