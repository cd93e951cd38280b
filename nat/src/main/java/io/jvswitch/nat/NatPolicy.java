package io.jvswitch.nat;

import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntHashSet;

import java.util.List;

/**
 * What the translator is told by the control plane, as one immutable snapshot: which networks
 * masquerade and their gateways, the host's addresses, the masquerade address, and the published
 * ports. The control plane builds a new one for every change and hands it over with
 * {@link NatEngine#policy(NatPolicy)}; the dataplane reads it without locks or allocation.
 */
public final class NatPolicy {
    /** Network ids are small non-negative ints; larger ones are refused when the policy is built. */
    public static final int MAX_NETWORKS = 4096;

    private final int masqueradeAddress;
    private final boolean[] masquerade;
    private final int[] gateways;
    private final IntHashSet hostAddresses;
    private final PublishedPorts published;

    /**
     * @param masqueradeAddress the source given to connections leaving by the host link
     * @param networks each network's id, masquerade switch and gateway
     * @param hostAddresses addresses of the host (the gateways are added): a published port with host IP
     *     0.0.0.0 answers on them, and what goes to them is not masqueraded
     */
    public NatPolicy(int masqueradeAddress, List<NetworkNat> networks, int[] hostAddresses, PublishedPorts published) {
        this.masqueradeAddress = masqueradeAddress;
        int size = 0;
        for (NetworkNat network : networks) {
            if (network.id() < 0 || network.id() >= MAX_NETWORKS) {
                throw new IllegalArgumentException("network id out of range: " + network.id());
            }
            size = Math.max(size, network.id() + 1);
        }
        this.masquerade = new boolean[size];
        this.gateways = new int[size];
        for (NetworkNat network : networks) {
            masquerade[network.id()] = network.masquerade();
            gateways[network.id()] = network.gateway();
        }
        this.hostAddresses = new IntHashSet(Math.max(8, hostAddresses.length * 2));
        for (int address : hostAddresses) {
            this.hostAddresses.add(address);
        }
        for (NetworkNat network : networks) {
            // The host owns every gateway address too (on the host link): a container's way to the host.
            if (network.gateway() != 0) {
                this.hostAddresses.add(network.gateway());
            }
        }
        this.published = published;
    }

    /** A policy that translates nothing. */
    public static NatPolicy empty() {
        return new NatPolicy(0, List.of(), new int[0], PublishedPorts.EMPTY);
    }

    /** One network's NAT settings. */
    public record NetworkNat(int id, boolean masquerade, int gateway) {}

    public int masqueradeAddress() {
        return masqueradeAddress;
    }

    boolean masquerades(int network) {
        return network >= 0 && network < masquerade.length && masquerade[network] && masqueradeAddress != 0;
    }

    /** @return the network's gateway address, or 0 if unknown */
    int gateway(int network) {
        return network >= 0 && network < gateways.length ? gateways[network] : 0;
    }

    boolean isHostAddress(int address) {
        return hostAddresses.contains(address);
    }

    PublishedPorts published() {
        return published;
    }

    /** Index key of a published port: protocol above the 16-bit port. */
    static int portKey(int protocol, int port) {
        return (protocol << 16) | port;
    }

    static Int2IntHashMap newPortIndex(int expected) {
        return new Int2IntHashMap(Math.max(8, expected * 2), 0.65f, -1);
    }
}
