package io.jvswitch.control.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EndpointMacTest {

    @Test
    void derivesFromIpv4() {
        long mac = EndpointMac.derive(Cidr.parseAddress("172.17.0.2"));
        assertEquals(0x024aac110002L, mac);
        assertEquals("02:4a:ac:11:00:02", EndpointMac.format(mac));
    }

    @Test
    void highAddressesStayWithin48Bits() {
        long mac = EndpointMac.derive(Cidr.parseAddress("255.255.255.254"));
        assertEquals(0x024afffffffeL, mac);
        assertEquals(0L, mac >>> 48);
        assertEquals("02:4a:ff:ff:ff:fe", EndpointMac.format(mac));
    }

    @Test
    void locallyAdministeredUnicast() {
        long mac = EndpointMac.derive(Cidr.parseAddress("10.0.0.1"));
        int firstOctet = (int) (mac >>> 40) & 0xFF;
        assertEquals(0x02, firstOctet & 0x02); // locally administered
        assertEquals(0x00, firstOctet & 0x01); // unicast
    }
}
