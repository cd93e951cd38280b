package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PingResultTest {
    @Test
    void readsTheAverage() {
        final PingResult r = PingResult.parse("""
            PING 10.202.0.11 (10.202.0.11) 56(84) bytes of data.

            --- 10.202.0.11 ping statistics ---
            20 packets transmitted, 19 received, 5% packet loss, time 973ms
            rtt min/avg/max/mdev = 0.101/0.140/0.262/0.031 ms
            """);
        assertEquals(new PingResult(20, 19, 0.140), r);
    }

    @Test
    void noReplyIsAFailure() {
        assertThrows(IllegalArgumentException.class, () -> PingResult.parse("""
            --- 10.0.0.2 ping statistics ---
            3 packets transmitted, 0 received, 100% packet loss, time 2030ms
            """));
        assertThrows(IllegalArgumentException.class, () -> PingResult.parse("ping: connect: Network is unreachable"));
    }
}
