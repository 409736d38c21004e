"""A test server that records every request it gets, to prove what the verifier sends.

Prints `REQUEST <request line>` for each request, answers 200 `ok`, and answers /redirect with a 302
to the URL given as its second argument (a redirect the verifier must not follow), and /hostile with
a reason phrase full of terminal escape sequences.
"""
import socketserver
import sys

PORT = int(sys.argv[1])
REDIRECT = sys.argv[2] if len(sys.argv) > 2 else "http://elsewhere:8081/stolen"


class Recorder(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(8192).decode("latin-1").strip()
        if not line:
            return  # a connect without a request: port.listening's
        print("REQUEST " + line, flush=True)
        while self.rfile.readline(8192).strip():
            pass
        path = (line.split(" ") + ["", ""])[1]
        if path == "/hostile":  # a reason phrase that would take over a terminal: a link, a clear-screen
            self.wfile.write(b"HTTP/1.1 503 \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x1b[2J\r::error::pwned"
                             b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        elif path == "/redirect":
            self.wfile.write(b"HTTP/1.1 302 Found\r\nLocation: " + REDIRECT.encode() +
                             b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        else:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
socketserver.ThreadingTCPServer(("", PORT), Recorder).serve_forever()
