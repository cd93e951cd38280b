package io.jvswitch.control.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.jvswitch.control.RateLimitedLog;
import io.jvswitch.control.cluster.ClusterAgent;
import io.jvswitch.control.debug.DebugService;
import io.jvswitch.control.debug.TraceRequest;
import io.jvswitch.control.model.ContainerRef;
import io.jvswitch.control.service.AttachRequest;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.control.service.CreateNetworkRequest;
import io.jvswitch.control.service.NatService;
import io.jvswitch.control.service.NetworkService;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's HTTP API, independent of the transport: a method, a path and a body in, a status
 * and a JSON body out. Every failure becomes {@code {"error": "..."}} with a 4xx or 5xx status.
 */
public final class ApiRoutes {
    private static final System.Logger LOG = System.getLogger("jvs.api");
    private static final RateLimitedLog ERRORS = new RateLimitedLog(LOG, 5, 10, TimeUnit.SECONDS);

    private final NetworkService service;
    private final DebugService debug;
    private final ObjectMapper json;

    private final NatService nat;
    private final ClusterAgent cluster;

    public ApiRoutes(NetworkService service, DebugService debug, ObjectMapper json) {
        this(service, debug, json, null);
    }

    /** {@code nat} null: a daemon without host link, which publishes nothing and tracks nothing. */
    public ApiRoutes(NetworkService service, DebugService debug, ObjectMapper json, NatService nat) {
        this(service, debug, json, nat, null);
    }

    /** {@code cluster} null: a daemon without a cluster store. */
    public ApiRoutes(
            NetworkService service, DebugService debug, ObjectMapper json, NatService nat, ClusterAgent cluster) {
        this.cluster = cluster;
        this.service = service;
        this.debug = debug;
        this.json = json;
        this.nat = nat;
    }

    /** Answers a request; a route that must wait (an armed trace) completes later, off the control thread. */
    public CompletableFuture<ApiResponse> handleAsync(String method, String uri, byte[] body) {
        final Object result;
        try {
            result = route(method, uri, body);
        } catch (Exception e) {
            return CompletableFuture.completedFuture(failure(method, uri, e));
        }
        if (result instanceof CompletableFuture<?> pending) {
            return pending.handle((value, error) -> {
                if (error != null) {
                    return failure(
                            method,
                            uri,
                            error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error);
                }
                return encode(value, method, uri);
            });
        }
        return CompletableFuture.completedFuture(encode(result, method, uri));
    }

    /** Answers a request and waits for it (tests; the server uses {@link #handleAsync}). */
    public ApiResponse handle(String method, String uri, byte[] body) {
        return handleAsync(method, uri, body).join();
    }

    private ApiResponse encode(Object value, String method, String uri) {
        try {
            return new ApiResponse(200, json.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            return failure(method, uri, e);
        }
    }

    private ApiResponse failure(String method, String uri, Throwable failure) {
        try {
            throw failure;
        } catch (ControlException e) {
            return error(HttpStatus.of(e), e.getMessage());
        } catch (MethodNotAllowedException e) {
            return error(HttpStatus.METHOD_NOT_ALLOWED, e.getMessage());
        } catch (UnrecognizedPropertyException e) {
            return error(400, "unknown field '" + e.getPropertyName() + "' in request");
        } catch (JsonProcessingException e) {
            return error(400, "malformed JSON request: " + e.getOriginalMessage());
        } catch (IOException e) {
            // Bodies are read from memory: any other IOException is undecodable input, not a server fault.
            return error(400, "malformed JSON request: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage());
        } catch (IllegalStateException e) {
            return error(409, e.getMessage());
        } catch (Throwable e) {
            ERRORS.log("internal", System.Logger.Level.ERROR, "request " + method + " " + uri + " failed", e);
            return error(500, "internal error: " + e);
        }
    }

    private Object route(String method, String uri, byte[] body) throws IOException {
        final int q = uri.indexOf('?');
        final String path = q < 0 ? uri : uri.substring(0, q);
        final Map<String, String> query = q < 0 ? Map.of() : query(uri.substring(q + 1));
        final String[] p = path.replaceAll("^/+|/+$", "").split("/");
        if (p.length < 2 || !p[0].equals("v1")) {
            throw ControlException.notFound("no such API path: " + path);
        }
        final String resource = p[1];
        switch (resource) {
            case "ping" -> {
                return Map.of("service", "jvs", "api", "v1");
            }
            case "networks" -> {
                if (p.length == 2 && method.equals("GET")) {
                    return service.networks().stream()
                            .map(n -> NetworkView.of(
                                    n, service.endpointsOn(n.name()), service.overlayView(n), service.waitingReasons()))
                            .toList();
                }
                if (p.length == 2 && method.equals("POST")) {
                    final CreateNetworkRequest request = json.readValue(requireBody(body), CreateNetworkRequest.class);
                    final var network = service.createNetwork(request);
                    return NetworkView.of(network, List.of(), service.overlayView(network));
                }
                if (p.length == 3 && method.equals("GET")) {
                    final var network = service.network(decode(p[2]));
                    return NetworkView.of(
                            network,
                            service.endpointsOn(network.name()),
                            service.overlayView(network),
                            service.waitingReasons());
                }
                if (p.length == 3 && method.equals("DELETE")) {
                    service.removeNetwork(decode(p[2]));
                    return Map.of("removed", decode(p[2]));
                }
                if (p.length == 4 && method.equals("GET") && p[3].equals("fdb")) {
                    return service.fdb(decode(p[2]));
                }
                if (p.length == 4 && method.equals("GET") && p[3].equals("remote-fdb")) {
                    return service.remoteFdb(decode(p[2]));
                }
                if (p.length == 4 && method.equals("POST") && p[3].equals("peers")) {
                    final PeerRequest request = json.readValue(requireBody(body), PeerRequest.class);
                    final var network = service.addPeer(decode(p[2]), request.peer());
                    return NetworkView.of(network, service.endpointsOn(network.name()), service.overlayView(network));
                }
                if (p.length == 5 && method.equals("DELETE") && p[3].equals("peers")) {
                    final var network = service.removePeer(decode(p[2]), decode(p[4]));
                    return NetworkView.of(network, service.endpointsOn(network.name()), service.overlayView(network));
                }
                if (p.length == 4 && method.equals("GET") && p[3].equals("stats")) {
                    return service.networkStats(decode(p[2]));
                }
            }
            case "endpoints" -> {
                if (p.length == 2 && method.equals("GET")) {
                    return service.endpoints();
                }
                if (p.length == 2 && method.equals("POST")) {
                    final AttachRequest request = json.readValue(requireBody(body), AttachRequest.class);
                    if (request.container() != null && request.container().kind() == ContainerRef.Kind.DOCKER_SANDBOX) {
                        throw ControlException.invalid(
                                "docker-sandbox endpoints are made by Docker through the jvs plugin"
                                        + " (docker network connect), not by attach");
                    }
                    return service.attach(request);
                }
                if (p.length == 3 && method.equals("DELETE")) {
                    return service.detach(decode(p[2]), query.get("network"));
                }
            }
            case "ports" -> {
                if (p.length == 2 && method.equals("GET")) {
                    return service.portStats();
                }
                if (p.length == 4 && method.equals("POST") && p[3].equals("inject")) {
                    return debug.inject(decode(p[2]), query.get("network"), body);
                }
            }
            case "published" -> {
                if (p.length == 2 && method.equals("GET")) {
                    return nat == null ? List.of() : nat.ports();
                }
                if (p.length == 3 && method.equals("GET") && p[2].equals("host-rules")) {
                    return nat == null ? List.of() : nat.hostRules();
                }
            }
            case "conntrack" -> {
                if (p.length == 2 && method.equals("GET")) {
                    if (nat == null) {
                        throw ControlException.conflict(
                                "this daemon runs without a host link: it tracks no connections");
                    }
                    int limit = 10_000;
                    if (query.containsKey("limit")) {
                        try {
                            limit = Integer.parseInt(query.get("limit"));
                        } catch (NumberFormatException e) {
                            throw ControlException.invalid("limit must be a number");
                        }
                    }
                    return nat.conntrack(query.get("network"), limit);
                }
            }
            case "cluster" -> {
                if (cluster == null) {
                    throw ControlException.conflict(
                            "this daemon runs without a cluster store (start it with --cluster-store etcd://...)");
                }
                if (p.length == 3 && method.equals("GET") && p[2].equals("status")) {
                    return cluster.status();
                }
                if (p.length == 3 && method.equals("GET") && p[2].equals("hosts")) {
                    return cluster.hosts();
                }
                if (p.length == 4 && method.equals("DELETE") && p[2].equals("hosts")) {
                    return cluster.removeHost(decode(p[3]));
                }
            }
            case "trace" -> {
                if (p.length == 2 && method.equals("POST")) {
                    return debug.trace(json.readValue(requireBody(body), TraceRequest.class));
                }
            }
            case "stats" -> {
                if (p.length == 2 && method.equals("GET")) {
                    return debug.stats();
                }
            }
            default -> throw ControlException.notFound("no such API path: " + path);
        }
        throw new MethodNotAllowedException(method + " is not supported on " + path);
    }

    private static byte[] requireBody(byte[] body) {
        if (body == null || body.length == 0) {
            throw ControlException.invalid("request body is required");
        }
        return body;
    }

    private ApiResponse error(int status, String message) {
        try {
            return new ApiResponse(
                    status, json.writeValueAsBytes(Map.of("error", message == null ? "unknown error" : message)));
        } catch (JsonProcessingException e) {
            return new ApiResponse(500, "{\"error\":\"cannot encode error\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static Map<String, String> query(String text) {
        final Map<String, String> params = new LinkedHashMap<>();
        for (String pair : text.split("&")) {
            final int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
            }
        }
        return params;
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
