package io.jvswitch.switching;

import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * One network: a broadcast domain with its own forwarding database and address book. Frames never
 * leave the bridge domain they entered; isolation between networks is structural (a port belongs to
 * exactly one bridge domain and floods go only to its members).
 */
final class BridgeDomain {
    final int id;
    final String name;
    final MacTable macs;
    final AddressBook addresses;
    /**
     * MACs of the endpoints the control plane plugged here, with how many ports use each: a frame
     * from a tunnel claiming one is forged. Not the gateway's: every host of an overlay network has
     * the same gateway (and MAC), whose routed frames do cross the tunnel. Allocation-free lookups.
     */
    final Long2LongHashMap localMacs = new Long2LongHashMap(0);

    final EtherTypePolicy etherTypePolicy;
    final int gatewayIp;
    final long gatewayMac;
    /** The routed subnet (the gateway's), or mask 0 for a network that is only switched. */
    final int subnet;

    final int subnetMask;
    final int mtu;
    final boolean internal;
    /** The host link's own domain: its one port talks to the router only, never to a network. */
    final boolean hostLink;
    /** The network's IPv6 addresses (gateway and endpoints), for proxy-NDP. */
    final Ipv6AddressBook addresses6;

    /** The IPv6 gateway ({@link #setIpv6}); both halves 0 on a network without IPv6. */
    long gateway6High;

    long gateway6Low;
    /** The IPv6 subnet's first 8 bytes under {@link #subnet6Mask}; mask 0 when not routed for IPv6. */
    long subnet6High;

    long subnet6Mask;

    private int[] members = new int[8];
    private int memberCount;

    /** Indexed by {@link NetworkCounter}; written on the dataplane thread only. */
    final long[] counts = new long[NetworkCounter.VALUES.length];

    BridgeDomain(NetworkSpec spec, SwitchContext ctx) {
        this(spec, false, ctx);
    }

    BridgeDomain(NetworkSpec spec, boolean hostLink, SwitchContext ctx) {
        this.id = spec.id();
        this.name = spec.name();
        this.gatewayIp = spec.gatewayIp();
        this.gatewayMac = spec.gatewayMac();
        this.subnetMask = spec.subnetMask();
        this.subnet = spec.gatewayIp() & subnetMask;
        this.mtu = spec.mtu();
        this.internal = spec.internal();
        this.hostLink = hostLink;
        this.etherTypePolicy = spec.etherTypePolicy();
        this.macs = new MacTable(ctx.macTableLimit(), ctx.macsPerPortLimit(), ctx.maxPorts(), ctx.macAgingNanos());
        this.addresses = new AddressBook(ctx.addressBookLimit(), ctx.macAgingNanos());
        this.addresses6 = new Ipv6AddressBook(ctx.addressBookLimit(), ctx.macAgingNanos());
        if (gatewayIp != 0) {
            addresses.put(gatewayIp, gatewayMac);
        }
    }

    /** Whether the control plane placed {@code mac} in this network (on the dataplane thread). */
    boolean isLocalMac(long mac) {
        return localMacs.get(mac) != 0;
    }

    void addLocalMac(long mac) {
        if (mac != 0) {
            localMacs.put(mac, localMacs.get(mac) + 1);
        }
    }

    void removeLocalMac(long mac) {
        final long uses = localMacs.get(mac);
        if (uses > 1) {
            localMacs.put(mac, uses - 1);
        } else if (uses == 1) {
            localMacs.remove(mac);
        }
    }

    /**
     * Gives the network its IPv6 side. Subnets are /64 or shorter for routing purposes: a longer
     * prefix is routed as its /64 (the high half), which is what hosts use on a LAN anyway.
     */
    void setIpv6(Ipv6Gateway gateway) {
        if (gateway6High != 0 || gateway6Low != 0) {
            addresses6.remove(gateway6High, gateway6Low);
        }
        gateway6High = gateway.high();
        gateway6Low = gateway.low();
        subnet6Mask = gateway.prefixLength() >= 64 ? -1L : -1L << (64 - gateway.prefixLength());
        subnet6High = gateway.high() & subnet6Mask;
        addresses6.put(gateway.high(), gateway.low(), gatewayMac);
    }

    boolean routesIpv6() {
        return subnet6Mask != 0;
    }

    boolean containsIpv6(long high) {
        return subnet6Mask != 0 && (high & subnet6Mask) == subnet6High;
    }

    int memberCount() {
        return memberCount;
    }

    int member(int index) {
        return members[index];
    }

    void addMember(int slot) {
        if (memberCount == members.length) {
            members = Arrays.copyOf(members, members.length * 2);
        }
        members[memberCount++] = slot;
    }

    void removeMember(int slot) {
        for (int i = 0; i < memberCount; i++) {
            if (members[i] == slot) {
                members[i] = members[--memberCount];
                return;
            }
        }
    }

    void count(NetworkCounter counter) {
        counts[counter.ordinal()]++;
    }
}
