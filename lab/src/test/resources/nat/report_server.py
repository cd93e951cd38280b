# A test server that tells each client the address (and port) it saw: HTTP on the TCP ports of argv[1],
# an echo on the UDP ports of argv[2] (comma-separated lists, either may be empty); IPv6 if argv[3] is "6".
import socket
import sys
import threading

FAMILY = socket.AF_INET6 if len(sys.argv) > 3 and sys.argv[3] == '6' else socket.AF_INET
ANY = '::' if FAMILY == socket.AF_INET6 else '0.0.0.0'


def serve_tcp(port):
    s = socket.socket(FAMILY)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ANY, port))
    s.listen(128)
    while True:
        c, a = s.accept()
        try:
            c.settimeout(5)
            data = b''
            while b'\r\n\r\n' not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            body = ('client=%s port=%d peer=%s:%d\n' % (a[0], port, a[0], a[1])).encode()
            c.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
        except OSError:
            pass
        finally:
            c.close()


def serve_udp(port):
    s = socket.socket(FAMILY, socket.SOCK_DGRAM)
    s.bind((ANY, port))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(('client=%s peer=%s:%d ' % (a[0], a[0], a[1])).encode() + d, a)


for arg, target in ((sys.argv[1], serve_tcp), (sys.argv[2] if len(sys.argv) > 2 else '', serve_udp)):
    for p in filter(None, arg.split(',')):
        threading.Thread(target=target, args=(int(p),), daemon=True).start()
print('ready', flush=True)
threading.Event().wait()
