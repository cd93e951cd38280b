package io.jvswitch.control.api;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The CLI's side of the API: one request per connection over the daemon's unix socket. */
public final class ApiClient {
    private static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    private static final long TIMEOUT_SECONDS = 60;

    private final Path socket;

    public ApiClient(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /** Throws {@link DaemonUnreachableException} with a helpful message when the socket is missing or closed to us. */
    public void checkReachable() {
        if (Files.notExists(socket)) {
            throw new DaemonUnreachableException("no jvs daemon is listening at " + socket
                    + " (start one with: sudo ./jvs daemon, or point --socket / JVS_SOCKET at it)");
        }
        // Neither "exists" nor "does not exist": a directory on the way is closed to us.
        if (!Files.exists(socket) || !Files.isReadable(socket) || !Files.isWritable(socket)) {
            throw new DaemonUnreachableException(
                    "permission denied on " + socket + ": the jvs API is for root (use sudo)");
        }
    }

    /** Sends one request; throws {@link DaemonUnreachableException} with a helpful message if it cannot. */
    public ApiResponse send(String method, String path, byte[] body) {
        return send(method, path, body, TIMEOUT_SECONDS);
    }

    /** {@link #send(String, String, byte[])} for a request the daemon answers late (an armed trace). */
    public ApiResponse send(String method, String path, byte[] body, long timeoutSeconds) {
        checkReachable();
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            final CompletableFuture<ApiResponse> result = new CompletableFuture<>();
            final Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline()
                                    .addLast(
                                            new HttpClientCodec(),
                                            new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                                            new SimpleChannelInboundHandler<FullHttpResponse>() {
                                                @Override
                                                protected void channelRead0(
                                                        ChannelHandlerContext ctx, FullHttpResponse response) {
                                                    result.complete(new ApiResponse(
                                                            response.status().code(),
                                                            ByteBufUtil.getBytes(response.content())));
                                                    ctx.close();
                                                }

                                                @Override
                                                public void channelInactive(ChannelHandlerContext ctx) {
                                                    result.completeExceptionally(new DaemonUnreachableException(
                                                            "the jvs daemon closed the connection without answering"));
                                                }

                                                @Override
                                                public void exceptionCaught(
                                                        ChannelHandlerContext ctx, Throwable cause) {
                                                    result.completeExceptionally(cause);
                                                    ctx.close();
                                                }
                                            });
                        }
                    });
            final Channel channel;
            try {
                channel = bootstrap
                        .connect(new DomainSocketAddress(socket.toFile()))
                        .sync()
                        .channel();
            } catch (Exception e) {
                throw new DaemonUnreachableException("cannot connect to the jvs daemon at " + socket + ": "
                        + e.getMessage() + " (is it running? start it with: sudo ./jvs daemon)");
            }
            final FullHttpRequest request = new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1,
                    HttpMethod.valueOf(method),
                    path,
                    body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            request.headers()
                    .set(HttpHeaderNames.HOST, "jvs")
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body == null ? 0 : body.length);
            channel.writeAndFlush(request);
            return result.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new DaemonUnreachableException(
                    "request to the jvs daemon failed: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new DaemonUnreachableException("the jvs daemon did not answer within " + timeoutSeconds + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DaemonUnreachableException("interrupted");
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    /** The daemon could not be asked at all (as opposed to answering with an error). */
    public static final class DaemonUnreachableException extends RuntimeException {
        public DaemonUnreachableException(String message) {
            super(message, null, false, false);
        }
    }
}
