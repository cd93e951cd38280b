package io.jvswitch.nat;

import io.jvswitch.packet.Ipv4Packet;
import org.agrona.collections.Int2IntHashMap;

import java.util.List;

/**
 * The published ports as the dataplane looks them up: by protocol and host port, then host
 * address. Immutable once built; lookups allocate nothing.
 */
public final class PublishedPorts {
    public static final PublishedPorts EMPTY = new PublishedPorts(List.of());

    /** One host port forwarded to one container port. A host IP of 0 means every host address. */
    public record Rule(int protocol, int hostIp, int hostPort, int network, int containerIp, int containerPort) {
        public Rule {
            if (protocol != Ipv4Packet.PROTOCOL_TCP && protocol != Ipv4Packet.PROTOCOL_UDP) {
                throw new IllegalArgumentException("protocol must be TCP or UDP");
            }
            if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
                throw new IllegalArgumentException("ports must be 1-65535");
            }
        }
    }

    private final Rule[] rules;
    private final int[] next;
    private final Int2IntHashMap first;

    public PublishedPorts(List<Rule> rules) {
        this.rules = rules.toArray(new Rule[0]);
        this.next = new int[this.rules.length];
        this.first = NatPolicy.newPortIndex(this.rules.length);
        for (int i = this.rules.length - 1; i >= 0; i--) {
            final Rule rule = this.rules[i];
            final int key = NatPolicy.portKey(rule.protocol(), rule.hostPort());
            next[i] = first.get(key);
            first.put(key, i);
        }
    }

    /**
     * @return the rule for a packet to {@code destination:port}, or null
     */
    Rule find(int protocol, int destination, int port, NatPolicy policy) {
        int index = first.get(NatPolicy.portKey(protocol, port));
        while (index >= 0) {
            final Rule rule = rules[index];
            if (rule.hostIp() == destination || (rule.hostIp() == 0 && policy.isHostAddress(destination))) {
                return rule;
            }
            index = next[index];
        }
        return null;
    }

    public int size() {
        return rules.length;
    }
}
