package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

import java.util.List;

class SpreadTest {
    @Test
    void oddCountTakesTheMiddle() {
        assertEquals(new Spread(5, 1, 9, 3), Spread.of(List.of(9.0, 1.0, 5.0)));
    }

    @Test
    void evenCountAveragesTheMiddleTwo() {
        assertEquals(new Spread(2.5, 1, 10, 4), Spread.of(List.of(10.0, 2.0, 1.0, 3.0)));
    }

    @Test
    void failedRunsAreLeftOut() {
        assertEquals(new Spread(4, 2, 6, 2), Spread.of(List.of(Double.NaN, 2.0, 6.0)));
        assertFalse(Spread.of(List.of(Double.NaN)).measured());
        assertFalse(Spread.of(List.of()).measured());
    }
}
