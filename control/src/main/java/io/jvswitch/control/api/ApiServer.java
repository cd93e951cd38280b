package io.jvswitch.control.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Serves the API as HTTP/1.1 over a unix socket with netty's epoll transport. Requests are handed
 * to one control thread, so the event loop never blocks on an attach that runs {@code ip}.
 * The socket is mode 0660: root (and the socket's group) only; there is no TCP listener.
 */
public final class ApiServer implements AutoCloseable {
    private static final int MAX_REQUEST_BYTES = 64 * 1024;
    /** Clients at once: a CLI holds one for a moment; captures hold one each for their life. */
    static final int MAX_CONNECTIONS = 256;
    /** The whole request (headers and body, at most 64 KiB over a local socket) within this of connecting. */
    static final long REQUEST_DEADLINE_MILLIS = 10_000;

    private final Path socket;
    private String socketGroup;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final ApiConnectionLimits limits = new ApiConnectionLimits(MAX_CONNECTIONS, REQUEST_DEADLINE_MILLIS);
    private Channel channel;

    public ApiServer(Path socket) {
        this.socket = socket;
    }

    /** Lets members of {@code group} use the API too (the socket stays mode 0660); null: root only. */
    public void group(String group) {
        this.socketGroup = group;
    }

    /** Takes over a connection for a long-lived streamed answer (a capture); null when not its path. */
    @FunctionalInterface
    public interface StreamingRoutes {

        ApiResponse STREAMING = new ApiResponse(200, new byte[0]);
        /**
         * @return null if this path is not streamed; otherwise an error response to send, or
         *     {@link #STREAMING} when the endpoint has answered and will keep writing to the channel.
         */
        ApiResponse open(String method, String uri, byte[] body, Channel channel);
    }

    public void start(ApiRoutes routes, ExecutorService controlThread) throws IOException, InterruptedException {
        start(routes, (method, uri, body, channel) -> null, controlThread);
    }

    public void start(ApiRoutes routes, StreamingRoutes streaming, ExecutorService controlThread)
            throws IOException, InterruptedException {
        Files.createDirectories(socket.getParent());
        final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        limits.admit(ch);
                        ch.pipeline()
                                .addLast(
                                        new HttpServerCodec(),
                                        new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                        new Handler(routes, streaming, controlThread, limits));
                    }
                });
        channel =
                bootstrap.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        if (socketGroup != null) {
            Files.getFileAttributeView(socket, PosixFileAttributeView.class)
                    .setGroup(socket.getFileSystem()
                            .getUserPrincipalLookupService()
                            .lookupPrincipalByGroupName(socketGroup));
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // a stale socket file is detected and replaced at the next start
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ApiRoutes routes;
        private final StreamingRoutes streaming;
        private final ExecutorService controlThread;
        private final ApiConnectionLimits limits;

        Handler(
                ApiRoutes routes,
                StreamingRoutes streaming,
                ExecutorService controlThread,
                ApiConnectionLimits limits) {
            this.limits = limits;
            this.routes = routes;
            this.streaming = streaming;
            this.controlThread = controlThread;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            limits.requestReceived(ctx.channel());
            final String method = request.method().name();
            final String uri = request.uri();
            final byte[] body = ByteBufUtil.getBytes(request.content());
            controlThread.execute(() -> {
                final ApiResponse streamed = streaming.open(method, uri, body, ctx.channel());
                if (streamed == StreamingRoutes.STREAMING) {
                    return;
                }
                if (streamed != null) {
                    respond(ctx, streamed);
                    return;
                }
                routes.handleAsync(method, uri, body).thenAccept(response -> respond(ctx, response));
            });
        }

        private static void respond(ChannelHandlerContext ctx, ApiResponse response) {
            final FullHttpResponse http = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()),
                    Unpooled.wrappedBuffer(response.body()));
            http.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
