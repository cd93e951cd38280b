package io.jvswitch.control.docker;

import io.jvswitch.control.api.ApiResponse;
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
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The plugin socket Docker finds under {@code /run/docker/plugins/}: HTTP/1.1 on a unix socket
 * (mode 0600: only root's dockerd), every call handed to the control thread like the API's. Kept
 * apart from the API server because its clients, content type and error shape are Docker's.
 */
public final class DockerPluginServer implements AutoCloseable {
    public static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json";
    private static final int MAX_REQUEST_BYTES = 256 * 1024;

    private final Path socket;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private Channel channel;

    public DockerPluginServer(Path socket) {
        this.socket = socket;
    }

    /** Whether a live process answers on the socket (another daemon serving the plugin). */
    public static boolean inUse(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Serves the plugin; replaces a stale socket file (nobody answers on it). */
    public void start(DockerPlugin plugin, ExecutorService controlThread) throws IOException, InterruptedException {
        if (inUse(socket)) {
            throw new IllegalStateException("another process serves the Docker plugin socket " + socket
                    + " (choose another with --docker-plugin-socket, or none)");
        }
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        channel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        ch.pipeline()
                                .addLast(
                                        new HttpServerCodec(),
                                        new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                        new Handler(plugin, controlThread));
                    }
                })
                .bind(new DomainSocketAddress(socket.toFile()))
                .sync()
                .channel();
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        try {
            if (channel != null) {
                Files.deleteIfExists(socket);
            }
        } catch (IOException ignored) {
            // a stale socket file is replaced at the next start
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final DockerPlugin plugin;
        private final ExecutorService controlThread;

        Handler(DockerPlugin plugin, ExecutorService controlThread) {
            this.plugin = plugin;
            this.controlThread = controlThread;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            final boolean post = request.method().equals(HttpMethod.POST);
            final String path = request.uri().replaceAll("\\?.*", "");
            final byte[] body = ByteBufUtil.getBytes(request.content());
            controlThread.execute(() -> respond(
                    ctx,
                    post
                            ? plugin.handle(path, body)
                            : new ApiResponse(
                                    405,
                                    "{\"Err\":\"Docker plugin calls are POST\"}".getBytes(StandardCharsets.UTF_8))));
        }

        private static void respond(ChannelHandlerContext ctx, ApiResponse response) {
            final FullHttpResponse http = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()),
                    Unpooled.wrappedBuffer(response.body()));
            http.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
            // Docker keeps connections alive between calls; answering in order on one is enough.
            ctx.writeAndFlush(http).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
