package jwtauth

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ResourceMetadata describes a protected resource (RFC 9728 §2), for
// [MetadataHandler]. Its URLs are configuration, never request text.
//
// RFC 8707 resource indicators: a client asks the authorization server for
// a token for Resource, and gets one whose aud is that URI. Accept such
// tokens by listing the URI in Config.Audience or Config.Audiences (exact,
// case-sensitive match).
type ResourceMetadata struct {
	// Resource is the resource identifier: an https URL without fragment
	// (http only on a loopback host). Required.
	Resource string

	// AuthorizationServers are the issuer identifiers of the authorization
	// servers that mint tokens for this resource. Default: none listed.
	AuthorizationServers []string

	// ScopesSupported are the scopes the resource understands. Optional.
	ScopesSupported []string

	// DPoPAlgorithms are the DPoP proof algorithms accepted, as
	// dpop_signing_alg_values_supported; take them from
	// [DPoPVerifier.Algorithms]. Optional.
	DPoPAlgorithms []string

	// DPoPBoundTokensRequired says that the resource accepts DPoP-bound
	// tokens only (DPoPConfig.Required).
	DPoPBoundTokensRequired bool

	// ResourceName is a human-readable name. Optional.
	ResourceName string

	// ResourceDocumentation is the URL of the resource's documentation for
	// developers. Optional.
	ResourceDocumentation string
}

// ErrMetadata is the error of an invalid [ResourceMetadata]; it matches
// [ErrConfig].
var ErrMetadata = errors.New("jwtauth: invalid resource metadata")

// MetadataHandler returns a handler that serves md as RFC 9728 protected
// resource metadata, for GET (and HEAD) of
// "/.well-known/oauth-protected-resource" (mount it there, with the
// resource's path after it when the resource has one, RFC 9728 §3.1). The
// document is made once, here; bearer_methods_supported is ["header"],
// since tokens are never read from the query or a form.
func MetadataHandler(md ResourceMetadata) (http.Handler, error) {
	if err := checkResourceURL(md.Resource); err != nil {
		return nil, configError("Resource: %w", err)
	}
	for i, as := range md.AuthorizationServers {
		if err := checkResourceURL(as); err != nil {
			return nil, configError("AuthorizationServers[%d]: %w", i, err)
		}
	}
	for i, a := range md.DPoPAlgorithms {
		if !asymmetric([]byte(a)) {
			return nil, configError("DPoPAlgorithms[%d]: not an asymmetric algorithm: %w", i, ErrMetadata)
		}
	}
	if md.ResourceDocumentation != "" {
		if err := checkResourceURL(md.ResourceDocumentation); err != nil {
			return nil, configError("ResourceDocumentation: %w", err)
		}
	}
	for i, sc := range md.ScopesSupported {
		if strings.Contains(sc, " ") || !isScopeList(sc) {
			return nil, configError("ScopesSupported[%d]: not a scope token: %w", i, ErrMetadata)
		}
	}
	doc, err := json.Marshal(struct {
		Resource      string   `json:"resource"`
		Servers       []string `json:"authorization_servers,omitempty"`
		Scopes        []string `json:"scopes_supported,omitempty"`
		BearerMethods []string `json:"bearer_methods_supported"`
		DPoPAlgs      []string `json:"dpop_signing_alg_values_supported,omitempty"`
		DPoPRequired  bool     `json:"dpop_bound_access_tokens_required,omitempty"`
		Name          string   `json:"resource_name,omitempty"`
		Documentation string   `json:"resource_documentation,omitempty"`
	}{md.Resource, md.AuthorizationServers, md.ScopesSupported, []string{"header"},
		md.DPoPAlgorithms, md.DPoPBoundTokensRequired, md.ResourceName, md.ResourceDocumentation})
	if err != nil {
		return nil, configError("%w", ErrMetadata)
	}
	doc = append(doc, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(doc)
	}), nil
}

// checkResourceURL requires an absolute https URL without fragment or
// userinfo, or http on a loopback host (localhost, 127.0.0.0/8, ::1).
func checkResourceURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(s, "#") {
		return ErrMetadata
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return ErrMetadata
}
