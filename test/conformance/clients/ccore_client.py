# A real proxyless gRPC client: gRPC C-core through Debian's python3-grpcio (run with /usr/bin/python3).
# Bootstrap from GRPC_XDS_BOOTSTRAP_CONFIG. Reads JSON lines {id, target, deadlineMs, payload} on
# stdin, answers {id, ok, reply} or {id, ok: false, code, details} on stdout.
import json
import sys

import grpc

channels = {}


def call(target, payload, deadline_ms):
    channel = channels.get(target)
    if channel is None:
        channel = grpc.insecure_channel(target)
        channels[target] = channel
    say = channel.unary_unary('/echo.Echo/Say', request_serializer=lambda b: b, response_deserializer=lambda b: b)
    return say(payload.encode(), timeout=deadline_ms / 1000.0)


for line in sys.stdin:
    request = json.loads(line)
    rid = request.get('id')
    if request.get('close'):
        for c in channels.values():
            c.close()
        channels.clear()
        print(json.dumps({'id': rid, 'ok': True, 'closed': True}), flush=True)
        continue
    try:
        reply = call(request['target'], request.get('payload', 'hi'), request.get('deadlineMs', 5000))
        print(json.dumps({'id': rid, 'ok': True, 'reply': reply.decode()}), flush=True)
    except grpc.RpcError as error:
        print(json.dumps({'id': rid, 'ok': False, 'code': error.code().value[0], 'details': error.details()}), flush=True)
