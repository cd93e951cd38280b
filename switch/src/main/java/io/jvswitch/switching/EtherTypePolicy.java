package io.jvswitch.switching;

/** Which EtherTypes a network forwards. Container networks carry IP; anything else is suspect. */
public enum EtherTypePolicy {
    /** IPv4, IPv6 and ARP only (also inside 802.1Q tags). Others are dropped as unknown-ethertype. */
    IP_ONLY,
    /** Everything, like a plain Linux bridge. */
    FORWARD_ALL;

    boolean allows(int etherType) {
        return this == FORWARD_ALL || etherType == 0x0800 || etherType == 0x86DD || etherType == 0x0806;
    }
}
