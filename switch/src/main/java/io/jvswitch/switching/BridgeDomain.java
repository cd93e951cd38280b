package io.jvswitch.switching;

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
    final EtherTypePolicy etherTypePolicy;
    final int gatewayIp;
    final long gatewayMac;

    private int[] members = new int[8];
    private int memberCount;

    long floodedFrames;
    long unknownUnicastFrames;
    long arpAnswered;

    BridgeDomain(int id, String name, int gatewayIp, long gatewayMac, EtherTypePolicy policy, SwitchContext ctx) {
        this.id = id;
        this.name = name;
        this.gatewayIp = gatewayIp;
        this.gatewayMac = gatewayMac;
        this.etherTypePolicy = policy;
        this.macs = new MacTable(ctx.macTableLimit(), ctx.macsPerPortLimit(), ctx.maxPorts(), ctx.macAgingNanos());
        this.addresses = new AddressBook(ctx.addressBookLimit());
        if (gatewayIp != 0) {
            addresses.put(gatewayIp, gatewayMac);
        }
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
}
