package io.jvswitch.switching;

import io.jvswitch.switching.port.Port;

/**
 * The ports plugged into one dataplane agent, indexed by slot. Arrays rather than objects per port
 * so the packet path reads a port's network, MTU and counters without a map lookup.
 */
final class PortTable {
    final Port[] ports;
    final PortCounters[] counters;
    final BridgeDomain[] domains;
    final int[] mtus;
    final boolean[] offloads;
    final long[] macs;
    final int[] ips;
    /** The endpoint's IPv6 address (both halves 0 for none), which port security lets it send from. */
    final long[] ip6Highs;

    final long[] ip6Lows;
    final boolean[] polledAlways;
    /** Whether the port must speak only as its endpoint (see {@link PortSecurity}). */
    final boolean[] enforced;
    /** Whether ARP and neighbor discovery arriving on the port teach the address books (a tunnel to other hosts). */
    final boolean[] learnsAddresses;

    private int used;

    PortTable(int maxPorts) {
        ports = new Port[maxPorts];
        counters = new PortCounters[maxPorts];
        domains = new BridgeDomain[maxPorts];
        mtus = new int[maxPorts];
        offloads = new boolean[maxPorts];
        macs = new long[maxPorts];
        ips = new int[maxPorts];
        ip6Highs = new long[maxPorts];
        ip6Lows = new long[maxPorts];
        polledAlways = new boolean[maxPorts];
        enforced = new boolean[maxPorts];
        learnsAddresses = new boolean[maxPorts];
        for (int i = 0; i < maxPorts; i++) {
            counters[i] = new PortCounters();
        }
    }

    int used() {
        return used;
    }

    int capacity() {
        return ports.length;
    }

    /** Lowest free slot, or -1 when every slot is taken. */
    int allocate(Port port, BridgeDomain domain, long mac, int ip, PortSecurity security) {
        for (int slot = 0; slot < ports.length; slot++) {
            if (ports[slot] == null) {
                ports[slot] = port;
                domains[slot] = domain;
                mtus[slot] = port.mtu();
                offloads[slot] = port.acceptsOffloads();
                macs[slot] = mac;
                ips[slot] = ip;
                ip6Highs[slot] = 0;
                ip6Lows[slot] = 0;
                polledAlways[slot] = false;
                enforced[slot] = security == PortSecurity.ENFORCE;
                learnsAddresses[slot] = port.learnsRemoteAddresses();
                counters[slot].reset();
                used++;
                return slot;
            }
        }
        return -1;
    }

    void release(int slot) {
        if (ports[slot] != null) {
            ports[slot] = null;
            domains[slot] = null;
            used--;
        }
    }
}
