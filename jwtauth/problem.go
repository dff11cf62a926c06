package jwtauth

import (
	"encoding/json"
	"net/http"
	"strings"
)

// writeProblem writes the RFC 6750 §3 response for err: the status, the
// WWW-Authenticate challenge (on 401 and on 403 insufficient_scope) and a JSON
// body {"error", "error_description"}. Every string in it is fixed or comes
// from configuration; nothing is copied from the request.
func writeProblem(w http.ResponseWriter, realm string, err error, scope string) {
	writeProblemOf(w, nil, &Middleware{cfg: Config{Realm: realm}}, err, scope)
}

// writeProblemOf is writeProblem with m's challenges: DPoP's, and the
// resource_metadata parameter, when m has them.
func writeProblemOf(w http.ResponseWriter, r *http.Request, m *Middleware, err error, scope string) {
	realm := m.cfg.Realm
	p := problemFor(err)
	h := w.Header()
	if p.status == http.StatusUnauthorized || p.code == "insufficient_scope" || p.code == "invalid_request" {
		if m.dpop != nil || m.cfg.ResourceMetadata != "" {
			m.setChallenges(h, r, p, err, scope)
		} else {
			h.Set("WWW-Authenticate", challenge(realm, p, scope))
		}
	}
	if p.status == http.StatusServiceUnavailable {
		// Keys (or a store) are missing for now: the client may retry
		// soon, and the answer came within the request's deadline.
		h.Set("Retry-After", "5")
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.status)
	code := p.code
	if code == "" {
		code = strings.ReplaceAll(strings.ToLower(http.StatusText(p.status)), " ", "_")
	}
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, p.description})
	w.Write(append(body, '\n'))
}

// challenge builds `Bearer realm="…"[, error="…", error_description="…"][,
// scope="…"]`. A request without credentials gets the realm alone (RFC 6750
// §3.1: no error information).
func challenge(realm string, p problem, scope string) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	b.WriteString(realm)
	b.WriteByte('"')
	if p.code != "" {
		b.WriteString(`, error="`)
		b.WriteString(p.code)
		b.WriteString(`", error_description="`)
		b.WriteString(p.description)
		b.WriteByte('"')
	}
	if scope != "" && p.code == "insufficient_scope" && isScopeList(scope) {
		b.WriteString(`, scope="`)
		b.WriteString(scope)
		b.WriteByte('"')
	}
	return b.String()
}

// isScopeList reports whether s is a space-delimited list of RFC 6749 §3.3
// scope-tokens, which may appear in the challenge's scope parameter.
func isScopeList(s string) bool {
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			return false
		}
		for i := range len(tok) {
			if c := tok[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return false
			}
		}
	}
	return true
}
