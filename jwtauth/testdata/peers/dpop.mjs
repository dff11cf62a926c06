// A DPoP peer for authkit's interop tests: npm jose makes and checks DPoP
// proofs (RFC 9449) independently of authkit. One JSON request on stdin, one
// JSON answer on stdout.
//
//   {"op":"proof","private_jwk","alg","htm","htu","ath"?}
//     → {"proof":"…","jkt":"…"}
//   {"op":"verify","proof","alg"} → {"ok":true,"payload":{…},"jkt":"…"} or {"ok":false,"error":"…"}
//   {"op":"dpop-proof","private_jwk","alg","htm","htu","access_token"?,"nonce"?}
//     → {"proof":"…","jkt":"…"}: made by npm dpop (panva), on WebCrypto, not jose
import * as jose from "jose";
import * as DPoP from "dpop";
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
  } else if (input.op === "dpop-proof") {
    const algorithm = {
      ES256: { name: "ECDSA", namedCurve: "P-256" },
      RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      PS256: { name: "RSA-PSS", hash: "SHA-256" },
    }[input.alg];
    const { d, p, q, dp, dq, qi, ...pub } = input.private_jwk;
    const privateKey = await crypto.subtle.importKey("jwk", input.private_jwk, algorithm, false, ["sign"]);
    const publicKey = await crypto.subtle.importKey("jwk", pub, algorithm, true, ["verify"]);
    const keypair = { privateKey, publicKey };
    const proof = await DPoP.generateProof(keypair, input.htu, input.htm, input.nonce, input.access_token);
    console.log(JSON.stringify({ proof, jkt: await DPoP.calculateThumbprint(publicKey) }));
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
