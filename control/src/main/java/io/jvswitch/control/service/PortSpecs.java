package io.jvswitch.control.service;

import io.jvswitch.nat.PortMapping;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code -p} arguments of one endpoint as the mappings to publish, by the families the endpoint
 * has, as Docker publishes them: on a dual-stack endpoint a {@code -p} without a host IP on
 * {@code 0.0.0.0} and {@code [::]}; on an IPv6-only one on {@code [::]} only, and one that names
 * an IPv4 host IP ({@code -p 0.0.0.0:8080:80}, {@code -p 127.0.0.1:8080:80}) is refused: there is
 * no IPv4 address behind it to publish.
 */
final class PortSpecs {
    private PortSpecs() {}

    /**
     * @param hasIpv4 whether the endpoint has an IPv4 address
     * @param hasIpv6 whether it has an IPv6 address
     * @throws ControlException invalid for a malformed {@code -p} or an IPv4 one on an IPv6-only
     *     endpoint, a conflict for two that overlap
     */
    static List<PortMapping> parse(List<String> specs, boolean hasIpv4, boolean hasIpv6) {
        final List<PortMapping> wanted = new ArrayList<>();
        for (String spec : specs) {
            final List<PortMapping> parsed;
            try {
                parsed = PortMapping.parse(spec, hasIpv6);
            } catch (IllegalArgumentException e) {
                throw ControlException.invalid(e.getMessage());
            }
            wanted.addAll(hasIpv4 ? parsed : ipv6Only(spec, parsed));
        }
        for (int i = 0; i < wanted.size(); i++) {
            for (int j = i + 1; j < wanted.size(); j++) {
                if (wanted.get(i).overlaps(wanted.get(j))) {
                    throw ControlException.conflict("port mappings overlap: "
                            + wanted.get(i).spec() + " and " + wanted.get(j).spec());
                }
            }
        }
        return wanted;
    }

    /** The IPv6 halves of one {@code -p}; an IPv4 mapping without its IPv6 twin was asked for by address. */
    private static List<PortMapping> ipv6Only(String spec, List<PortMapping> parsed) {
        final List<PortMapping> out = new ArrayList<>();
        for (int i = 0; i < parsed.size(); i++) {
            final PortMapping m = parsed.get(i);
            if (m.ipv6Host()) {
                out.add(m);
            } else if (i + 1 >= parsed.size() || !parsed.get(i + 1).isIpv6TwinOf(m)) {
                throw ControlException.invalid("-p " + spec + " publishes on the IPv4 host address " + m.hostIp()
                        + ", and the endpoint is on an IPv6-only network (no IPv4 address to forward to):"
                        + " give no host IP or an IPv6 one, as -p [::]:8080:80 or -p [::1]:8080:80");
            }
        }
        return out;
    }
}
