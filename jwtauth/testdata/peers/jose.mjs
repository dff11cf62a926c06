// A peer for authkit's interop tests: npm jose verifies and signs tokens.
// Reads one JSON request on stdin, writes one JSON answer on stdout.
//
//   {"op":"verify","token","jwks_url"|"jwk"|"secret","alg","issuer","audience"}
//     → {"ok":true,"payload":{…},"header":{…}} or {"ok":false,"error":"…"}
//   {"op":"sign","alg","private_jwk"|"secret","kid","claims"} → {"token":"…"}
import * as jose from "jose";

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (c) => { data += c; });
  process.stdin.on("end", () => resolve(data));
}));

async function key(req) {
  if (req.jwks_url) return jose.createRemoteJWKSet(new URL(req.jwks_url));
  if (req.secret) return new TextEncoder().encode(req.secret);
  return jose.importJWK(req.jwk ?? req.private_jwk, req.alg);
}

try {
  if (input.op === "verify") {
    const opts = { algorithms: [input.alg] };
    if (input.issuer) opts.issuer = input.issuer;
    if (input.audience) opts.audience = input.audience;
    const { payload, protectedHeader } = await jose.jwtVerify(input.token, await key(input), opts);
    console.log(JSON.stringify({ ok: true, payload, header: protectedHeader }));
  } else if (input.op === "sign") {
    const header = { alg: input.alg, typ: "JWT" };
    if (input.kid) header.kid = input.kid;
    const token = await new jose.SignJWT(input.claims).setProtectedHeader(header).sign(await key(input));
    console.log(JSON.stringify({ token }));
  } else {
    throw new Error("unknown op");
  }
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e.code ?? e.name) }));
}
