package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The proxy-ARP table's three kinds of entry: a local endpoint's, a remote one programmed, a learned one. */
class AddressBookTest {
    static final int LOCAL = 0x0A0A0002;
    static final int REMOTE = 0x0A0A0042;
    static final long LOCAL_MAC = 0x024A0A0A0002L;
    static final long REMOTE_MAC = 0x024A0A0A0042L;
    static final int TUNNEL_SLOT = 7;
    static final int PEER = 0x0AC80002;
    static final long AGING = 300_000_000_000L;
    static final long NOW = 1_000_000_000L;

    final AddressBook book = new AddressBook(16, AGING);

    private boolean learn(int ip, long mac) {
        return book.learn(ip, mac, TUNNEL_SLOT, PEER, NOW, true) == AddressOwners.LEARNED;
    }

    @Test
    void aProgrammedRemoteReplacesALearnedEntryAndLearningNeverReplacesIt() {
        assertTrue(learn(REMOTE, 0x02AAAAAAAAAAL));
        assertTrue(book.putRemote(REMOTE, REMOTE_MAC));
        assertEquals(REMOTE_MAC, book.lookup(REMOTE));
        assertFalse(learn(REMOTE, 0x02BBBBBBBBBBL));
        assertEquals(REMOTE_MAC, book.lookup(REMOTE, NOW + 10 * AGING), "a programmed entry never ages");
        assertEquals(REMOTE_MAC, book.lookup(REMOTE));
        assertEquals(1, book.learnRefused());
        // unplugging the tunnel forgets what it learned, not what the control plane programmed
        book.removeLearnedOn(TUNNEL_SLOT);
        assertEquals(REMOTE_MAC, book.lookup(REMOTE));
        assertTrue(book.removeRemote(REMOTE, REMOTE_MAC));
        assertEquals(-1, book.lookup(REMOTE));
    }

    @Test
    void aLocalEndpointIsNeverReplacedOrRemovedByTheRemoteKind() {
        book.put(LOCAL, LOCAL_MAC);
        assertFalse(book.putRemote(LOCAL, REMOTE_MAC));
        assertEquals(LOCAL_MAC, book.lookup(LOCAL));
        assertFalse(book.removeRemote(LOCAL, LOCAL_MAC));
        assertEquals(LOCAL_MAC, book.lookup(LOCAL));
        assertEquals(1, book.size());
    }

    @Test
    void removingARemoteThatIsNotThereChangesNothing() {
        assertFalse(book.removeRemote(REMOTE, REMOTE_MAC));
        assertTrue(learn(REMOTE, 0x02AAAAAAAAAAL));
        assertFalse(book.removeRemote(REMOTE, REMOTE_MAC), "a learned entry of another MAC stays");
        assertEquals(0x02AAAAAAAAAAL, book.lookup(REMOTE));
    }
}
