package io.jvswitch.switching;

/**
 * The router's side of the host link: the port towards the host's own network stack.
 *
 * @param routerMac the MAC the router uses on the host link (answers ARP for {@code routerIp})
 * @param routerIp the router's address on the host link; the host routes every network's subnet
 *     via it, and ICMP errors towards the host come from it
 * @param hostMac the host interface's MAC, where routed packets for the host are sent
 */
public record HostLinkSpec(long routerMac, int routerIp, long hostMac) {
    public HostLinkSpec {
        if (routerIp == 0 || routerMac == 0 || hostMac == 0) {
            throw new IllegalArgumentException("the host link needs the router's address and MAC and the host's MAC");
        }
    }
}
