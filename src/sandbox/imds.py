"""The instance metadata service of one sandbox host (written by swarm-aws): IMDSv2 only.

Usage: imds.py LISTEN_ADDR LOCAL_IPV4 INSTANCE_ID REGION. `PUT /latest/api/token` (with
`X-aws-ec2-metadata-token-ttl-seconds`) opens a session; `GET /latest/meta-data/...` answers
with that session's token only, as on an instance that requires IMDSv2.
"""
import http.server
import secrets
import sys

listen, ip, instance, region = sys.argv[1:5]
TOKEN = secrets.token_urlsafe(32)
META = {
    "/latest/meta-data/local-ipv4": ip,
    "/latest/meta-data/instance-id": instance,
    "/latest/meta-data/placement/region": region,
}


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body=""):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.answer(404)
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.answer(400)
        self.answer(200, TOKEN)

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.answer(401)
        if self.path not in META:
            return self.answer(404)
        self.answer(200, META[self.path])

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((listen, 80), Handler).serve_forever()
