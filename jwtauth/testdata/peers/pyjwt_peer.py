"""A peer for authkit's interop tests: PyJWT verifies and signs tokens.

Reads one JSON request on stdin, writes one JSON answer on stdout:

  {"op":"verify","token","secret"|"jwk"|"jwks_url","alg","issuer","audience"}
    -> {"ok": true, "payload": {...}} or {"ok": false, "error": "..."}
  {"op":"sign","alg","secret"|"private_jwk","kid","claims"} -> {"token": "..."}
"""
import json
import sys

import jwt


def key(req, private=False):
    if req.get("secret"):
        return req["secret"]
    if req.get("jwks_url"):
        return jwt.PyJWKClient(req["jwks_url"]).get_signing_key_from_jwt(req["token"]).key
    jwk = req["private_jwk"] if private else req["jwk"]
    return jwt.PyJWK(jwk, req["alg"]).key


def main():
    req = json.load(sys.stdin)
    try:
        if req["op"] == "verify":
            opts = {"algorithms": [req["alg"]]}
            if req.get("issuer"):
                opts["issuer"] = req["issuer"]
            if req.get("audience"):
                opts["audience"] = req["audience"]
            payload = jwt.decode(req["token"], key(req), **opts)
            print(json.dumps({"ok": True, "payload": payload}))
        elif req["op"] == "sign":
            headers = {"kid": req["kid"]} if req.get("kid") else None
            token = jwt.encode(req["claims"], key(req, private=True), algorithm=req["alg"], headers=headers)
            print(json.dumps({"token": token}))
        else:
            raise ValueError("unknown op")
    except Exception as e:  # the test reads the error class
        print(json.dumps({"ok": False, "error": type(e).__name__}))


main()
