package io.jvswitch.control.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.api.ApiResponse;
import io.jvswitch.control.api.Json;
import io.jvswitch.nat.PortMapping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** The protocol layer and the option and port translations, without a daemon behind them. */
class DockerPluginTest {
    private final ObjectMapper json = Json.mapper();

    @TempDir
    Path dir;

    private JsonNode answer(ApiResponse response) throws Exception {
        return json.readTree(response.body());
    }

    private DockerPlugin plugin() {
        final DockerIpam ipam = new DockerIpam(dir, json, List::of);
        return new DockerPlugin(null, ipam, new DockerNetworkMap(dir, json), null, json);
    }

    @Test
    void activationAndCapabilities() throws Exception {
        final DockerPlugin plugin = plugin();
        assertEquals(
                "[\"NetworkDriver\",\"IpamDriver\"]",
                answer(plugin.handle("/Plugin.Activate", new byte[0]))
                        .path("Implements")
                        .toString());
        assertEquals(
                "jvs-local",
                answer(plugin.handle("/IpamDriver.GetDefaultAddressSpaces", null))
                        .path("LocalDefaultAddressSpace")
                        .asText());
        assertEquals(
                404,
                plugin.handle("/NetworkDriver.AllocateNetwork", "{}".getBytes(StandardCharsets.UTF_8))
                        .status());
        assertEquals(
                400,
                plugin.handle("/IpamDriver.RequestPool", "{nope".getBytes(StandardCharsets.UTF_8))
                        .status());
    }

    @Test
    void refusalsCarryTheMessageWhereBothDriversLookForIt() throws Exception {
        final DockerPlugin plugin = plugin();
        final ApiResponse refused = plugin.handle(
                "/IpamDriver.RequestAddress", "{\"PoolID\":\"10.0.0.0/8\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, refused.status());
        final JsonNode body = answer(refused);
        assertEquals(
                "no pool 10.0.0.0/8 in the jvs IPAM driver", body.path("Err").asText());
        assertEquals(body.path("Err"), body.path("Error"));
    }

    @Test
    void ipv6ShapesTheDriverCannotServeAreRefusedBeforeAnythingIsMade() throws Exception {
        final DockerPlugin plugin = plugin(); // no service behind it: a refusal must come first
        final String id = "\"NetworkID\":\"0123456789ab0123456789ab\"";
        final String v4 = "\"IPv4Data\":[{\"Pool\":\"172.30.0.0/24\",\"Gateway\":\"172.30.0.1/24\"}]";
        final String v6 = "{\"Pool\":\"fd00:30::/64\",\"Gateway\":\"fd00:30::1/64\"}";
        assertEquals(
                "the jvs Docker driver makes IPv4 and dual-stack networks, not IPv6-only ones: make an IPv6-only"
                        + " network with jvs network create --ipv4=false --ipv6 and use jvs attach",
                refusal(plugin, "{" + id + ",\"IPv4Data\":[],\"IPv6Data\":[" + v6 + "]}"));
        assertEquals(
                "a jvs network has at most one IPv6 subnet (got 2): give one IPv6 --subnet",
                refusal(plugin, "{" + id + "," + v4 + ",\"IPv6Data\":[" + v6 + "," + v6.replace("30", "31") + "]}"));
    }

    private String refusal(DockerPlugin plugin, String request) throws Exception {
        return answer(plugin.handle("/NetworkDriver.CreateNetwork", request.getBytes(StandardCharsets.UTF_8)))
                .path("Err")
                .asText();
    }

    @Test
    void networkOptions() throws Exception {
        final DockerNetworkOptions options = DockerNetworkOptions.parse(json.readTree(
                "{\"com.docker.network.generic\":{\"com.docker.network.driver.mtu\":\"1400\",\"jvs.masquerade\":\"false\"},"
                        + "\"com.docker.network.internal\":true}"));
        assertEquals(new DockerNetworkOptions(1400, true, false, null), options);
        assertEquals(
                new DockerNetworkOptions(9000, true, null, null),
                DockerNetworkOptions.parse(json.readTree(
                        "{\"com.docker.network.generic\":{\"jvs.mtu\":\"9000\",\"jvs.internal\":\"yes\"}}")));
        assertEquals(new DockerNetworkOptions(null, false, null, null), DockerNetworkOptions.parse(null));
        final PluginException unknown = assertThrows(
                PluginException.class,
                () -> DockerNetworkOptions.parse(
                        json.readTree("{\"com.docker.network.generic\":{\"jvs.colour\":\"x\"}}")));
        assertEquals(
                "unknown option 'jvs.colour' for the jvs driver: it knows com.docker.network.driver.mtu, jvs.internal,"
                        + " jvs.masquerade, jvs.mtu, jvs.network",
                unknown.getMessage());
        assertEquals(
                new DockerNetworkOptions(null, false, null, "multi"),
                DockerNetworkOptions.parse(
                        json.readTree("{\"com.docker.network.generic\":{\"jvs.network\":\" multi \"}}")));
        assertThrows(
                PluginException.class,
                () -> DockerNetworkOptions.parse(
                        json.readTree("{\"com.docker.network.generic\":{\"jvs.network\":\"\"}}")));
        assertThrows(
                PluginException.class,
                () -> DockerNetworkOptions.parse(
                        json.readTree("{\"com.docker.network.generic\":{\"jvs.mtu\":\"12\"}}")));
        assertThrows(
                PluginException.class,
                () -> DockerNetworkOptions.parse(
                        json.readTree("{\"com.docker.network.generic\":{\"jvs.masquerade\":\"maybe\"}}")));
    }

    @Test
    void portMapsBecomeJvsPublishSpecsAndBack() throws Exception {
        final List<String> specs = DockerPortMap.specs(json.readTree("{\"com.docker.network.portmap\":["
                + "{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080},"
                + "{\"Proto\":17,\"IP\":\"\",\"Port\":53,\"HostIP\":\"127.0.0.1\",\"HostPort\":5353,\"HostPortEnd\":5353},"
                + "{\"Proto\":6,\"IP\":\"\",\"Port\":443,\"HostIP\":\"\",\"HostPort\":0,\"HostPortEnd\":0},"
                + "{\"Proto\":6,\"IP\":\"\",\"Port\":22,\"HostIP\":\"\",\"HostPort\":2200,\"HostPortEnd\":2210}]}"));
        assertEquals(List.of("8080:80/tcp", "127.0.0.1:5353:53/udp", "443/tcp", "2200-2210:22/tcp"), specs);
        specs.forEach(PortMapping::parse); // each one is jvs -p syntax
        assertEquals(List.of(), DockerPortMap.specs(json.readTree("{}")));
        assertThrows(
                PluginException.class,
                () -> DockerPortMap.specs(json.readTree(
                        "{\"com.docker.network.portmap\":[{\"Proto\":132,\"Port\":80,\"HostPort\":80}]}")));
        final JsonNode back = json.valueToTree(DockerPortMap.bindings(PortMapping.parse("8080:80/tcp")));
        assertEquals(6, back.get(0).path("Proto").asInt());
        assertEquals(8080, back.get(0).path("HostPort").asInt());
        assertEquals(80, back.get(0).path("Port").asInt());
    }
}
