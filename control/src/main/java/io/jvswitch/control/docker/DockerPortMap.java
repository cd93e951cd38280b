package io.jvswitch.control.docker;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvswitch.nat.PortMapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's {@code com.docker.network.portmap} (the {@code -p} of {@code docker run}, as libnetwork's
 * PortBinding list: IP protocol number, container port, host address and port range) turned into
 * jvs's {@code -p} syntax, and jvs's published ports back into Docker's form for EndpointOperInfo.
 */
final class DockerPortMap {
    static final String PORT_MAP = "com.docker.network.portmap";
    private static final int TCP = 6;
    private static final int UDP = 17;

    private DockerPortMap() {}

    /** {@code -p} arguments for the bindings in a ProgramExternalConnectivity's options. */
    static List<String> specs(JsonNode options) {
        final List<String> specs = new ArrayList<>();
        final JsonNode bindings = options == null ? null : options.get(PORT_MAP);
        if (bindings == null || !bindings.isArray()) {
            return specs;
        }
        for (JsonNode b : bindings) {
            final int proto = b.path("Proto").asInt(TCP);
            final String protocol = switch (proto) {
                case TCP -> "tcp";
                case UDP -> "udp";
                default -> throw new PluginException("jvs publishes TCP and UDP ports only, not IP protocol " + proto);
            };
            final int port = b.path("Port").asInt();
            final int hostPort = b.path("HostPort").asInt();
            final int hostPortEnd = b.path("HostPortEnd").asInt();
            final String hostIp = b.path("HostIP").asText("");
            if (!hostIp.isEmpty() && hostIp.contains(":")) {
                throw new PluginException("jvs publishes on IPv4 host addresses only, not " + hostIp);
            }
            final String host =
                    hostPort == 0 ? "" : hostPortEnd > hostPort ? hostPort + "-" + hostPortEnd + ":" : hostPort + ":";
            final String address = hostIp.isEmpty() || hostIp.equals("0.0.0.0") ? "" : hostIp + ":";
            specs.add((host.isEmpty() ? (address.isEmpty() ? "" : address + ":") : address + host) + port + "/"
                    + protocol);
        }
        return specs;
    }

    /** The endpoint's published ports in Docker's PortBinding form. */
    static List<Map<String, Object>> bindings(List<PortMapping> ports) {
        final List<Map<String, Object>> out = new ArrayList<>();
        for (PortMapping m : ports) {
            final Map<String, Object> b = new LinkedHashMap<>();
            b.put("Proto", "udp".equals(m.protocol()) ? UDP : TCP);
            b.put("IP", "");
            b.put("Port", m.containerPort());
            b.put("HostIP", m.hostIp());
            b.put("HostPort", m.hostPort());
            b.put("HostPortEnd", m.hostPort());
            out.add(b);
        }
        return out;
    }
}
