package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConnectionRateTest {
    @Test
    void readsConnectionsAndTheirTime() {
        final ConnectionRate r = ConnectionRate.parse("12345 connections in 5.002 s\n");
        assertEquals(new ConnectionRate(12345, 5.002), r);
        assertEquals(12345 / 5.002, r.perSecond(), 1e-9);
    }

    @Test
    void aFailedConnectionFailsTheFigureWithTheReason() {
        final IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ConnectionRate.parse("failed after 41 connections: [Errno 111] Connection refused\n"));
        assertEquals("connection 42 failed: [Errno 111] Connection refused", e.getMessage());
    }

    @Test
    void outputWithoutASummaryOrWithoutAConnectionIsRefused() {
        assertEquals(
                "the connection loop printed no summary: ModuleNotFoundError: No module named 'socket'",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ConnectionRate.parse(
                                        "Traceback (most recent call last):\nModuleNotFoundError: No module named 'socket'\n"))
                        .getMessage());
        assertEquals(
                "the connection loop printed no summary: (nothing)",
                assertThrows(IllegalArgumentException.class, () -> ConnectionRate.parse(""))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConnectionRate.parse("0 connections in 5.000 s"));
    }
}
