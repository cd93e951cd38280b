package io.jvswitch.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The slot registry of a UringReadySet, with ports over real TAP devices in a namespace the test creates. */
class WatchedPortsTest {
    static final int PORT_READ = 6;
    static final int PORT_POLL = 1;
    static final int DESCRIPTOR_POLL = 3;

    final TestNamespaces namespaces = new TestNamespaces();
    final WatchedPorts ports = new WatchedPorts();

    @BeforeAll
    static void requireTap() {
        TestNamespaces.assumeTapCapable();
    }

    @AfterEach
    void cleanUp() {
        namespaces.close();
    }

    TapPort open(String ns, String name) throws Exception {
        return new TapPort(namespaces.track(TapDevice.openIn(TestNamespaces.path(ns), name, false)), 1500);
    }

    @Test
    void aCompletionArmedForAPortThatLeftTheSlotIsNotTheNextPorts() throws Exception {
        String ns = namespaces.create();
        TapPort first = open(ns, "jvs0");
        TapPort second = open(ns, "jvs1");

        long firstRead = ports.put(5, first, PORT_READ);
        assertSame(first, ports.portOf(firstRead));
        assertEquals(PORT_READ, WatchedPorts.kind(firstRead));
        assertEquals(5, WatchedPorts.slotOrFd(firstRead));
        assertEquals(firstRead, ports.userDataOf(5, PORT_READ), "what a removal names is what was armed");

        ports.remove(5);
        assertNull(ports.at(5));
        assertNull(ports.portOf(firstRead), "the slot is empty");

        long secondRead = ports.put(5, second, PORT_READ);
        assertSame(second, ports.at(5));
        assertSame(second, ports.portOf(secondRead));
        assertNull(ports.portOf(firstRead), "a late completion of the first port is not the second's");

        ports.outdate(5);
        assertSame(second, ports.at(5), "still watched");
        assertNull(ports.portOf(secondRead), "but what was armed before is no longer its");
    }

    @Test
    void aSlotReAddedMoreTimesThanTheUserDataCountsStillMatchesItsPort() throws Exception {
        String ns = namespaces.create();
        TapPort port = open(ns, "jvs0");
        long previous = ports.put(2, port, PORT_READ);
        for (int i = 0; i < 1 << 24; i++) {
            ports.remove(2);
            final long armed = ports.put(2, port, PORT_READ);
            if (i % 4_000_000 == 0 || i >= (1 << 24) - 2) {
                assertSame(port, ports.portOf(armed), "re-added " + (i + 2) + " times");
                assertNull(ports.portOf(previous), "the previous generation is not its");
            }
            previous = armed;
        }
    }

    @Test
    void theRegistryGrowsWithTheHighestSlotAndKeepsWhatItHeld() throws Exception {
        String ns = namespaces.create();
        TapPort low = open(ns, "jvs0");
        TapPort high = open(ns, "jvs1");

        long lowPoll = ports.put(3, low, PORT_POLL);
        int generation = ports.generation(3);
        long highPoll = ports.put(1000, high, PORT_POLL);

        assertEquals(1024, ports.capacity());
        assertSame(low, ports.portOf(lowPoll));
        assertEquals(generation, ports.generation(3));
        assertSame(high, ports.portOf(highPoll));
        assertEquals(1000, WatchedPorts.slotOrFd(highPoll));
        assertNull(ports.at(5000), "beyond the capacity: no port");
        assertThrows(IllegalArgumentException.class, () -> ports.put(-1, low, PORT_POLL));
    }

    @Test
    void aDescriptorsUserDataCarriesTheDescriptorAndNoGeneration() {
        long data = WatchedPorts.userData(DESCRIPTOR_POLL, 0x7FFF_FFFF);
        assertEquals(DESCRIPTOR_POLL, WatchedPorts.kind(data));
        assertEquals(0x7FFF_FFFF, WatchedPorts.slotOrFd(data));
        assertEquals((long) DESCRIPTOR_POLL << RingWrites.KIND_SHIFT | 0x7FFF_FFFFL, data);
    }
}
