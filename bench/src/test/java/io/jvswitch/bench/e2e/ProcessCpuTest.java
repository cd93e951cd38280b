package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

class ProcessCpuTest {
    @Test
    void commandNamesWithSpacesAndParenthesesDoNotShiftFields() {
        final String stat = "4242 (jvs (data) plane) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 30 0 "
                + "100 1000000 2000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertEquals(1234 + 567, ProcessCpu.parseTicks(stat));
    }

    @Test
    void ownProcessHasUsedSomeCpuAndAGoneOneReportsMinusOne() {
        assertTrue(ProcessCpu.ticks(ProcessHandle.current().pid()) >= 0);
        assertEquals(-1, ProcessCpu.ticks(Long.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> ProcessCpu.parseTicks("garbage"));
    }

    @Test
    void severalProcessesAreSummedAndOneGoneSpoilsTheSum() {
        final long self = ProcessHandle.current().pid();
        final long once = ProcessCpu.ticks(self);
        assertTrue(ProcessCpu.ticks(List.of(self, self)) >= 2 * once);
        assertEquals(-1, ProcessCpu.ticks(List.of(self, Long.MAX_VALUE)));
        assertEquals(-1, ProcessCpu.ticks(List.of()));
    }
}
