// A DPoP peer for authkit's interop tests: npm jose makes and checks DPoP
// proofs (RFC 9449) independently of authkit. One JSON request on stdin, one
// JSON answer on stdout.
//
//   {"op":"proof","private_jwk","alg","htm","htu","ath"?}
//     → {"proof":"…","jkt":"…"}
//   {"op":"verify","proof","alg"} → {"ok":true,"payload":{…},"jkt":"…"} or {"ok":false,"error":"…"}
import * as jose from "jose";
import { randomUUID } from "node:crypto";

const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (c) => { data += c; });
  process.stdin.on("end", () => resolve(data));
}));

try {
  if (input.op === "proof") {
    const priv = await jose.importJWK(input.private_jwk, input.alg);
    const { d, p, q, dp, dq, qi, ...pub } = input.private_jwk;
    const claims = { htm: input.htm, htu: input.htu, jti: randomUUID() };
    if (input.ath) claims.ath = input.ath;
    const proof = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: input.alg, typ: "dpop+jwt", jwk: pub })
      .setIssuedAt()
      .sign(priv);
    console.log(JSON.stringify({ proof, jkt: await jose.calculateJwkThumbprint(pub, "sha256") }));
  } else if (input.op === "verify") {
    const { payload, protectedHeader } = await jose.jwtVerify(input.proof, jose.EmbeddedJWK,
      { typ: "dpop+jwt", algorithms: [input.alg], maxTokenAge: "60s" });
    const jkt = await jose.calculateJwkThumbprint(protectedHeader.jwk, "sha256");
    console.log(JSON.stringify({ ok: true, payload, jkt }));
  } else {
    throw new Error("unknown op");
  }
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e.code ?? e.name) }));
}
