package io.jvswitch.nat;

import static io.jvswitch.nat.TcpStates.CLOSE;
import static io.jvswitch.nat.TcpStates.CLOSE_WAIT;
import static io.jvswitch.nat.TcpStates.ESTABLISHED;
import static io.jvswitch.nat.TcpStates.FIN_WAIT;
import static io.jvswitch.nat.TcpStates.IGNORE;
import static io.jvswitch.nat.TcpStates.INVALID;
import static io.jvswitch.nat.TcpStates.LAST_ACK;
import static io.jvswitch.nat.TcpStates.SYN_RECV;
import static io.jvswitch.nat.TcpStates.SYN_SENT;
import static io.jvswitch.nat.TcpStates.TIME_WAIT;
import static io.jvswitch.packet.TcpPacket.ACK;
import static io.jvswitch.packet.TcpPacket.CWR;
import static io.jvswitch.packet.TcpPacket.ECE;
import static io.jvswitch.packet.TcpPacket.FIN;
import static io.jvswitch.packet.TcpPacket.PSH;
import static io.jvswitch.packet.TcpPacket.RST;
import static io.jvswitch.packet.TcpPacket.SYN;
import static io.jvswitch.packet.TcpPacket.URG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TcpStatesTest {
    @Test
    void threeWayHandshakeAndCloseFromEitherSide() {
        assertEquals(SYN_RECV, TcpStates.next(SYN_SENT, true, SYN | ACK));
        assertEquals(ESTABLISHED, TcpStates.next(SYN_RECV, false, ACK));
        assertEquals(FIN_WAIT, TcpStates.next(ESTABLISHED, false, FIN | ACK));
        assertEquals(FIN_WAIT, TcpStates.next(ESTABLISHED, true, FIN | ACK));
        assertEquals(CLOSE_WAIT, TcpStates.next(FIN_WAIT, true, ACK));
        assertEquals(LAST_ACK, TcpStates.next(CLOSE_WAIT, true, FIN | ACK));
        assertEquals(LAST_ACK, TcpStates.next(FIN_WAIT, true, FIN | ACK), "simultaneous close");
        assertEquals(TIME_WAIT, TcpStates.next(LAST_ACK, false, ACK));
        assertEquals(TIME_WAIT, TcpStates.next(TIME_WAIT, true, ACK));
        assertEquals(SYN_SENT, TcpStates.next(TIME_WAIT, false, SYN), "port reuse reopens");
        assertEquals(SYN_SENT, TcpStates.next(CLOSE, false, SYN));
    }

    @Test
    void resetClosesFromAnyLiveState() {
        for (int state = SYN_SENT; state < TcpStates.COUNT; state++) {
            assertEquals(CLOSE, TcpStates.next(state, true, RST), TcpStates.label(state));
            assertEquals(CLOSE, TcpStates.next(state, false, RST | ACK), TcpStates.label(state));
        }
    }

    @Test
    void retransmissionsAreIgnoredAndOutOfOrderSegmentsInvalid() {
        assertEquals(SYN_SENT, TcpStates.next(SYN_SENT, false, SYN));
        assertEquals(IGNORE, TcpStates.next(SYN_RECV, true, SYN | ACK));
        assertEquals(IGNORE, TcpStates.next(ESTABLISHED, false, SYN));
        assertEquals(INVALID, TcpStates.next(SYN_SENT, false, ACK));
        assertEquals(INVALID, TcpStates.next(SYN_SENT, false, FIN | ACK));
        assertEquals(INVALID, TcpStates.next(ESTABLISHED, true, SYN));
        assertEquals(INVALID, TcpStates.next(ESTABLISHED, false, SYN | ACK));
    }

    @Test
    void flagCombinations() {
        for (int flags : new int[] {
            SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, FIN | ACK | PSH, RST, RST | ACK, SYN | ECE | CWR, ACK | URG
        }) {
            assertTrue(TcpStates.validFlags(flags), Integer.toHexString(flags));
        }
        for (int flags : new int[] {0, FIN, SYN | FIN, SYN | RST, FIN | RST | ACK, PSH, URG, FIN | PSH | URG}) {
            assertFalse(TcpStates.validFlags(flags), Integer.toHexString(flags));
        }
        assertTrue(TcpStates.opensConnection(SYN));
        assertTrue(TcpStates.opensConnection(SYN | ECE | CWR));
        assertFalse(TcpStates.opensConnection(SYN | ACK));
    }

    @Test
    void labels() {
        assertEquals(TIME_WAIT, TcpStates.byLabel("time-wait"));
        assertEquals(CLOSE_WAIT, TcpStates.byLabel("CLOSE_WAIT"));
        assertThrows(IllegalArgumentException.class, () -> TcpStates.byLabel("listen"));
    }
}
