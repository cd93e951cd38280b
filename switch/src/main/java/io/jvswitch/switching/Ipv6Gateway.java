package io.jvswitch.switching;

/**
 * A network's IPv6 side as the dataplane needs it: the gateway's address, owned by the switch (it
 * answers neighbor solicitation and ping6 for it and routes from it), and the subnet's prefix length.
 *
 * @param high the address's first 8 bytes, big-endian
 * @param low its last 8 bytes
 * @param prefixLength the subnet's prefix length, 1..126
 */
public record Ipv6Gateway(long high, long low, int prefixLength) {
    public Ipv6Gateway {
        if (prefixLength < 1 || prefixLength > 126) {
            throw new IllegalArgumentException("IPv6 prefix length must be within 1..126: " + prefixLength);
        }
        if ((high | low) == 0) {
            throw new IllegalArgumentException("the IPv6 gateway needs an address");
        }
    }
}
