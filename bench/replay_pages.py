#!/usr/bin/python3
"""replay_pages.py -- serves list pages saved from the fake API server, as they were, over HTTPS.

    replay_pages.py DIR CERT KEY

DIR/index.tsv holds one line per saved answer: PATH, LIMIT, CONTINUE ("" for a first page), FILE,
and optionally RESOURCEVERSION ("0": a list from the watch cache). A GET with the same path, limit,
continue and resourceVersion gets the saved body (application/json); anything else is a 404. No
authentication, no work per request but reading a file: what is left of a live list when the API
server costs nothing (bench/live_list_scale.sh). Prints
`replay: listening on https://127.0.0.1:PORT` when ready.
"""
import http.server
import os
import ssl
import sys
import urllib.parse


def main():
    folder, cert, key = sys.argv[1:4]
    pages = {}
    with open(os.path.join(folder, "index.tsv")) as f:
        for line in f:
            path, limit, cont, name, *rv = line.rstrip("\n").split("\t")
            with open(os.path.join(folder, name), "rb") as body:
                pages[(path, limit, cont, rv[0] if rv else "")] = body.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query)
            body = pages.get((url.path, q.get("limit", [""])[0], q.get("continue", [""])[0],
                              q.get("resourceVersion", [""])[0]))
            if body is None:
                body = b'{"kind":"Status","apiVersion":"v1","status":"Failure","code":404}\n'
                self.send_response(404)
            else:
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("replay: listening on https://127.0.0.1:%d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
