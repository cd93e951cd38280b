package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** {@code jvs bench --pairs}: what it accepts, what it refuses and which paths it measures. */
class PairsOptionTest {
    private static BenchOptions withPairs(List<Integer> pairs) {
        return new BenchOptions(1, 2, 20, 0, 1, List.of(), BenchOptions.ALL_PATHS, Map.of(), pairs, null, null);
    }

    private static String refused(List<String> words) {
        return assertThrows(IllegalArgumentException.class, () -> withPairs(BenchOptions.parsePairs(words)))
                .getMessage();
    }

    @Test
    void takesOneTwoAndFourInTheOrderGiven() {
        final BenchOptions options = withPairs(BenchOptions.parsePairs(List.of("4", " 1", "2")));
        assertEquals(List.of(4, 1, 2), options.pairs());
        assertEquals(4, options.maxPairs());
        assertEquals(0, withPairs(List.of()).maxPairs(), "without --pairs: no scaling figure");
        assertEquals(Figure.TCP_PAIRS_2, Figure.ofPairs(2));
        assertEquals(4, Figure.ofPairs(4).pairs());
        assertEquals(0, Figure.TCP_4.pairs());
    }

    @Test
    void refusesOtherCountsRepeatsAndWords() {
        assertEquals("--pairs takes 1, 2 and 4: 3", refused(List.of("1", "3")));
        assertEquals("--pairs takes 1, 2 and 4: 0", refused(List.of("0")));
        assertEquals("--pairs names 2 twice", refused(List.of("2", "4", "2")));
        assertEquals("--pairs takes numbers from 1, 2, 4: 'two'", refused(List.of("two")));
    }

    @Test
    void theCommandSaysWhatIsWrongAndExitsTwoBeforeSettingUpAnything() {
        final PrintStream err = System.err;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int exit;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchMain()).execute("--pairs", "1,8", "--paths", "bridge");
        } finally {
            System.setErr(err);
        }
        assertEquals(2, exit);
        assertTrue(
                captured.toString(StandardCharsets.UTF_8).contains("jvs: --pairs takes 1, 2 and 4: 8"),
                captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theSwitchAndOverlayPathsAndTheirReferencesHavePairsTheOthersSaySo() {
        for (DataplanePath path : BenchRunner.pathsFor(withPairs(List.of(1, 2)))) {
            final boolean expected =
                    List.of("bridge", "jvs", "kernel-vxlan", "jvs-vxlan").contains(path.key());
            assertEquals(expected, path.hasPairs(), path.key());
            if (expected) {
                assertNull(path.notMeasured(Figure.TCP_PAIRS_2), path.key());
            } else {
                assertNotNull(path.notMeasured(Figure.TCP_PAIRS_2), path.key());
            }
        }
    }
}
