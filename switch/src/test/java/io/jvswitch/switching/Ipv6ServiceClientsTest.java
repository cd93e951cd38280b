package io.jvswitch.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.switching.service.GatewayDatagramService;
import org.junit.jupiter.api.Test;

class Ipv6ServiceClientsTest {
    static final long HIGH = 0xfd00_0020_0000_0000L;

    @Test
    void aClientKeepsItsHandleAndTheHandleLeadsBackToIt() {
        final Ipv6ServiceClients clients = new Ipv6ServiceClients();
        final int handle = clients.handle(3, HIGH, 0x50);
        assertTrue(GatewayDatagramService.isIpv6Client(handle), Integer.toHexString(handle));
        assertEquals(handle, clients.handle(3, HIGH, 0x50));
        final int slot = clients.slot(handle, 3);
        assertEquals(HIGH, clients.high(slot));
        assertEquals(0x50, clients.low(slot));
        assertEquals(-1, clients.slot(handle, 4), "another network's answer never reaches it");
        assertEquals(-1, clients.slot(0x0A00_0002, 3), "an IPv4 client is no handle");
    }

    @Test
    void aClientTakingAnOccupiedSlotMakesTheOldHandleStale() {
        final Ipv6ServiceClients clients = new Ipv6ServiceClients();
        final int first = clients.handle(1, HIGH, 1);
        final int mask = Ipv6ServiceClients.SLOTS - 1;
        long low = 2;
        while ((clients.handle(1, HIGH, low) & mask) != (first & mask)) {
            low++; // until a client hashes to the first one's slot (and takes it)
        }
        // the slot now holds client `low`: a late answer to client 1 is not delivered to it
        final int second = clients.handle(1, HIGH, low);
        assertNotEquals(first, second);
        assertEquals(-1, clients.slot(first, 1));
        assertEquals(low, clients.low(clients.slot(second, 1)));
    }

    @Test
    void noHandleIsAnIpv4UnicastAddress() {
        assertTrue(GatewayDatagramService.isIpv6Client(0xF000_0000));
        assertTrue(!GatewayDatagramService.isIpv6Client(0xC0A8_0001)); // 192.168.0.1
        assertTrue(!GatewayDatagramService.isIpv6Client(0xE000_0001)); // 224.0.0.1
    }
}
