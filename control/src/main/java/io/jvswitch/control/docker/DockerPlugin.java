package io.jvswitch.control.docker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvswitch.control.api.ApiResponse;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.control.service.NetworkService;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's plugin protocol (HTTP POST, JSON, one path per call) answered by jvs's network driver
 * and IPAM driver. A refusal is status 200 with the message in {@code Err} (network driver) and
 * {@code Error} (IPAM driver), which Docker shows the user after "remote: "; a path jvs does not
 * serve is 404, which Docker takes as "not implemented".
 * Called on the control thread only.
 */
public final class DockerPlugin {
    private static final System.Logger LOG = System.getLogger("jvs.docker");

    private final DockerNetworkDriver driver;
    private final DockerIpam ipam;
    private final ObjectMapper json;

    public DockerPlugin(
            NetworkService service,
            DockerIpam ipam,
            DockerNetworkMap networks,
            DockerEndpointNames names,
            ObjectMapper json) {
        this.driver = new DockerNetworkDriver(service, networks, names);
        this.ipam = ipam;
        this.json = json;
    }

    public ApiResponse handle(String path, byte[] body) {
        final JsonNode request;
        try {
            request = body == null || body.length == 0 ? json.createObjectNode() : json.readTree(body);
        } catch (IOException e) {
            return answer(400, Map.of("Err", "malformed JSON in " + path + ": " + e.getMessage()));
        }
        try {
            final Map<String, Object> result = route(path, request == null ? json.createObjectNode() : request);
            if (result == null) {
                return answer(404, Map.of("Err", "jvs does not implement " + path));
            }
            return answer(200, result);
        } catch (PluginException | ControlException | IllegalArgumentException | IllegalStateException e) {
            LOG.log(System.Logger.Level.INFO, "Docker {0} refused: {1}", path, e.getMessage());
            return refusal(e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Docker " + path + " failed", e);
            return refusal("jvs internal error: " + e);
        }
    }

    private Map<String, Object> route(String path, JsonNode r) {
        return switch (path) {
            case "/Plugin.Activate" -> Map.of("Implements", List.of("NetworkDriver", "IpamDriver"));
            case "/NetworkDriver.GetCapabilities" -> driver.capabilities();
            case "/NetworkDriver.CreateNetwork" -> driver.createNetwork(r);
            case "/NetworkDriver.DeleteNetwork" -> driver.deleteNetwork(r);
            case "/NetworkDriver.CreateEndpoint" -> driver.createEndpoint(r);
            case "/NetworkDriver.DeleteEndpoint" -> driver.deleteEndpoint(r);
            case "/NetworkDriver.EndpointOperInfo" -> driver.endpointOperInfo(r);
            case "/NetworkDriver.Join" -> driver.join(r);
            case "/NetworkDriver.Leave" -> driver.leave(r);
            case "/NetworkDriver.ProgramExternalConnectivity" -> driver.programExternalConnectivity(r);
            case "/NetworkDriver.RevokeExternalConnectivity" -> driver.revokeExternalConnectivity(r);
            // one host, no discovery to act on: accepted so Docker does not log a failure
            case "/NetworkDriver.DiscoverNew", "/NetworkDriver.DiscoverDelete" -> Map.of();
            case "/IpamDriver.GetCapabilities" -> Map.of("RequiresMACAddress", false, "RequiresRequestReplay", false);
            case "/IpamDriver.GetDefaultAddressSpaces" ->
                Map.of(
                        "LocalDefaultAddressSpace",
                        DockerIpam.LOCAL_ADDRESS_SPACE,
                        "GlobalDefaultAddressSpace",
                        DockerIpam.GLOBAL_ADDRESS_SPACE);
            case "/IpamDriver.RequestPool" ->
                ipam.requestPool(
                        r.path("AddressSpace").asText(""),
                        r.path("Pool").asText(""),
                        r.path("SubPool").asText(""),
                        r.path("V6").asBoolean(false),
                        strings(r.get("Options")));
            case "/IpamDriver.ReleasePool" -> {
                ipam.releasePool(r.path("PoolID").asText(""));
                yield Map.of();
            }
            case "/IpamDriver.RequestAddress" ->
                Map.of(
                        "Address",
                        ipam.requestAddress(
                                r.path("PoolID").asText(""), r.path("Address").asText(""), strings(r.get("Options"))),
                        "Data",
                        Map.of());
            case "/IpamDriver.ReleaseAddress" -> {
                ipam.releaseAddress(
                        r.path("PoolID").asText(""), r.path("Address").asText(""));
                yield Map.of();
            }
            default -> null;
        };
    }

    /** The network driver's answers carry a refusal in "Err", the IPAM driver's in "Error": both are set. */
    private ApiResponse refusal(String message) {
        return answer(200, Map.of("Err", message, "Error", message));
    }

    private static Map<String, String> strings(JsonNode options) {
        final Map<String, String> out = new LinkedHashMap<>();
        if (options != null && options.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), e.getValue().asText());
            }
        }
        return out;
    }

    private ApiResponse answer(int status, Object body) {
        try {
            return new ApiResponse(status, json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            return new ApiResponse(500, "{\"Err\":\"cannot encode the answer\"}".getBytes(StandardCharsets.UTF_8));
        }
    }
}
