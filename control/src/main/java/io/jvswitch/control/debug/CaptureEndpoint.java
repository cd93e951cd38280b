package io.jvswitch.control.debug;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.jvswitch.control.api.ApiResponse;
import io.jvswitch.control.api.ApiServer;
import io.jvswitch.control.api.HttpStatus;
import io.jvswitch.control.capture.BpfFilter;
import io.jvswitch.control.service.ControlException;
import io.jvswitch.control.service.NetworkService;
import io.jvswitch.switching.capture.CapturePoint;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** {@code POST /v1/captures}: validates the request, then streams the capture on the connection. */
public final class CaptureEndpoint implements ApiServer.StreamingRoutes {
    public static final String CONTENT_TYPE = "application/vnd.jvs.capture";
    private static final int DEFAULT_SNAP = 262_144;

    private final NetworkService service;
    private final CaptureTargets targets;
    private final CaptureService captures;
    private final ObjectMapper json;

    public CaptureEndpoint(NetworkService service, CaptureTargets targets, CaptureService captures, ObjectMapper json) {
        this.service = service;
        this.targets = targets;
        this.captures = captures;
        this.json = json;
    }

    @Override
    public ApiResponse open(String method, String uri, byte[] body, Channel channel) {
        if (!uri.equals("/v1/captures") || !method.equals("POST")) {
            return null;
        }
        BpfFilter filter = null;
        try {
            final CaptureRequest request = json.readValue(body, CaptureRequest.class);
            final List<String> pointNames =
                    request.points() == null || request.points().isEmpty() ? List.of("rx", "tx") : request.points();
            int points = 0;
            for (String name : pointNames) {
                points |= CapturePoint.parse(name).bit();
            }
            final int snap = request.snapLength() == null ? DEFAULT_SNAP : request.snapLength();
            if (snap < 64 || snap > DEFAULT_SNAP) {
                throw ControlException.invalid("snap length must be within 64.." + DEFAULT_SNAP);
            }
            int networkId = -1;
            int[] slots = null;
            if (request.network() != null) {
                networkId = service.dataplaneIdOf(request.network());
            }
            if (request.ports() != null && !request.ports().isEmpty()) {
                final String network = request.network();
                slots = request.ports().stream()
                        .flatMapToInt(p -> IntStream.of(targets.slotsOf(p, network)))
                        .toArray();
            }
            if (request.filter() != null && !request.filter().isBlank()) {
                filter = BpfFilter.compile(request.filter(), snap);
            }
            final int id = captures.reserve(networkId, slots, points, snap); // may refuse: nothing written yet
            final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                    .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            channel.writeAndFlush(head);
            captures.attach(id, filter, channel);
            return STREAMING;
        } catch (ControlException e) {
            closeQuietly(filter);
            return error(HttpStatus.of(e), e.getMessage());
        } catch (UnrecognizedPropertyException e) {
            return error(400, "unknown field '" + e.getPropertyName() + "' in request");
        } catch (IOException e) {
            return error(400, "malformed JSON request: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            closeQuietly(filter);
            return error(400, e.getMessage());
        } catch (IllegalStateException e) {
            closeQuietly(filter);
            return error(409, e.getMessage());
        }
    }

    private static void closeQuietly(BpfFilter filter) {
        if (filter != null) {
            filter.close();
        }
    }

    private ApiResponse error(int status, String message) {
        try {
            return new ApiResponse(status, json.writeValueAsBytes(Map.of("error", message)));
        } catch (IOException e) {
            return new ApiResponse(status, "{\"error\":\"capture refused\"}".getBytes(StandardCharsets.UTF_8));
        }
    }
}
