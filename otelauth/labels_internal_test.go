package otelauth

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/metric"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

var labelRE = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// jwtauthReasons are the sentinels of jwtauth that can be a RejectedEvent's
// Reason, by name, and the ones that cannot (configuration errors).
var (
	jwtauthReasons = map[string]error{
		"ErrStore": jwtauth.ErrStore, "ErrGuard": jwtauth.ErrGuard,
		"ErrKeysUnavailable": jwtauth.ErrKeysUnavailable, "ErrCrossOrigin": jwtauth.ErrCrossOrigin,
		"ErrMultipleTokens": jwtauth.ErrMultipleTokens, "ErrMalformedHeader": jwtauth.ErrMalformedHeader,
		"ErrInvalidRequest": jwtauth.ErrInvalidRequest, "ErrMissingToken": jwtauth.ErrMissingToken,
		"ErrTokenMalformed": jwtauth.ErrTokenMalformed, "ErrTokenTooLarge": jwtauth.ErrTokenTooLarge,
		"ErrUnsupportedHeader": jwtauth.ErrUnsupportedHeader, "ErrAlgorithm": jwtauth.ErrAlgorithm,
		"ErrUnknownKey": jwtauth.ErrUnknownKey, "ErrSignature": jwtauth.ErrSignature,
		"ErrTokenExpired": jwtauth.ErrTokenExpired, "ErrTokenNotYetValid": jwtauth.ErrTokenNotYetValid,
		"ErrClaimType": jwtauth.ErrClaimType, "ErrMissingClaim": jwtauth.ErrMissingClaim,
		"ErrIssuer": jwtauth.ErrIssuer, "ErrAudience": jwtauth.ErrAudience,
		"ErrTokenType": jwtauth.ErrTokenType, "ErrClaimName": jwtauth.ErrClaimName,
		"ErrTokenRevoked": jwtauth.ErrTokenRevoked, "ErrRejected": jwtauth.ErrRejected,
		"ErrInvalidToken": jwtauth.ErrInvalidToken, "ErrNotFresh": jwtauth.ErrNotFresh,
		"ErrClaimValue": jwtauth.ErrClaimValue, "ErrMissingScope": jwtauth.ErrMissingScope,
		"ErrInsufficientScope": jwtauth.ErrInsufficientScope,
		"ErrReplayCacheFull":   jwtauth.ErrReplayCacheFull, "ErrDPoPReplay": jwtauth.ErrDPoPReplay,
		"ErrDPoPNonce": jwtauth.ErrDPoPNonce, "ErrDPoPBinding": jwtauth.ErrDPoPBinding,
		"ErrDPoPRequired": jwtauth.ErrDPoPRequired, "ErrDPoPProof": jwtauth.ErrDPoPProof,
	}
	jwtauthNotReasons = []string{"ErrConfig", "ErrWeakSecret", "ErrKeyAlgorithm", "ErrNoKeys", "ErrMetadata"}

	issuerResults = map[string]error{
		"ErrStoreFull": issuer.ErrStoreFull, "ErrRefreshReused": issuer.ErrRefreshReused,
		"ErrSessionDenied": issuer.ErrSessionDenied, "ErrNoSession": issuer.ErrNoSession,
		"ErrNotRevocable": issuer.ErrNotRevocable, "ErrSubject": issuer.ErrSubject,
		"ErrReservedClaim": issuer.ErrReservedClaim, "ErrTooLarge": issuer.ErrTooLarge,
		"ErrNotReady": issuer.ErrNotReady,
	}
	// Retire's, and the key store's of fleet rotation (Rotation.Logger): not
	// a session operation's.
	issuerNotResults = []string{"ErrUnknownKeyID", "ErrKeyStoreFull"}
)

// TestSentinelsLabelled fails when jwtauth or issuer gains a sentinel that
// this package does not label (it would count as "other"), by reading
// their source.
func TestSentinelsLabelled(t *testing.T) {
	for _, tc := range []struct {
		pkg    string
		known  map[string]error
		others []string
	}{
		{"github.com/authkit-go/authkit/jwtauth", jwtauthReasons, jwtauthNotReasons},
		{"github.com/authkit-go/authkit/jwtauth/issuer", issuerResults, issuerNotResults},
	} {
		got := exportedErrors(t, tc.pkg)
		want := slices.Concat(slices.Collect(maps.Keys(tc.known)), tc.others)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: sentinels\n got %v\nwant %v\n(label new ones in labels.go)", tc.pkg, got, want)
		}
	}
}

// exportedErrors lists the package-level exported variables named Err… of
// pkg's non-test source, sorted.
func exportedErrors(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		t.Skipf("go list %s: %v", pkg, err)
	}
	dir := strings.TrimSpace(string(out))
	fset := token.NewFileSet()
	out, err = exec.Command("go", "list", "-f", `{{join .GoFiles "\n"}}`, pkg).Output()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, name := range strings.Fields(string(out)) {
		f, err := parser.ParseFile(fset, dir+"/"+name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") && n.IsExported() {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

func TestReasonLabels(t *testing.T) {
	seen := map[string]string{}
	for name, err := range jwtauthReasons {
		l := reasonLabel(err)
		if l == labelOther || !labelRE.MatchString(l) {
			t.Errorf("%s: label %q", name, l)
		}
		if prev, dup := seen[l]; dup {
			t.Errorf("%s and %s share label %q", name, prev, l)
		}
		seen[l] = name
		// A wrapped sentinel keeps its label, and never becomes its class's.
		if w := reasonLabel(fmt.Errorf("%w: detail", err)); w != l {
			t.Errorf("%s wrapped: %q, want %q", name, w, l)
		}
	}
	if len(reasons) != len(jwtauthReasons) {
		t.Errorf("reasons has %d errors, want %d", len(reasons), len(jwtauthReasons))
	}
	for _, err := range []error{nil, errors.New("jwtauth: token expired"), errors.New("x"), context.Canceled} {
		if l := reasonLabel(err); l != labelOther {
			t.Errorf("reasonLabel(%v) = %q, want other", err, l)
		}
	}
	// An error of an uncomparable type neither panics nor matches.
	if l := reasonLabel(sliceError{"a"}); l != labelOther {
		t.Errorf("sliceError: %q", l)
	}
}

type sliceError []string

func (sliceError) Error() string { return "slice" }

func TestResultLabels(t *testing.T) {
	all := map[string]error{
		"jwtauth.ErrStore": jwtauth.ErrStore, "jwtauth.ErrTokenRevoked": jwtauth.ErrTokenRevoked,
		"jwtauth.ErrInvalidToken": jwtauth.ErrInvalidToken, "context.Canceled": context.Canceled,
		"context.DeadlineExceeded": context.DeadlineExceeded,
	}
	for k, v := range issuerResults {
		all["issuer."+k] = v
	}
	seen := map[string]string{}
	for name, err := range all {
		l := resultLabel(err)
		if l == labelOther || l == "ok" || !labelRE.MatchString(l) {
			t.Errorf("%s: label %q", name, l)
		}
		if prev, dup := seen[l]; dup {
			t.Errorf("%s and %s share label %q", name, prev, l)
		}
		seen[l] = name
		if w := resultLabel(fmt.Errorf("wrapped: %w", err)); w != l {
			t.Errorf("%s wrapped: %q, want %q", name, w, l)
		}
	}
	if len(results) != len(all) {
		t.Errorf("results has %d errors, want %d", len(results), len(all))
	}
	if l := resultLabel(nil); l != "ok" {
		t.Errorf("nil: %q", l)
	}
	if l := resultLabel(errors.New("issuer: other error")); l != labelOther {
		t.Errorf("other: %q", l)
	}
}

// TestCacheBounded: past maxCached combinations, sets are made per event
// and not kept, and are still right.
func TestCacheBounded(t *testing.T) {
	var made int
	c := setCache[int]{make: func(k int) *attrs {
		made++
		return &attrs{add: make([]metric.AddOption, k%3)}
	}}
	for i := range maxCached + 100 {
		if a := c.get(i); len(a.add) != i%3 {
			t.Fatalf("get(%d) wrong", i)
		}
	}
	if n := c.len(); n != maxCached {
		t.Errorf("%d cached, want %d", n, maxCached)
	}
	c.get(1)
	c.get(maxCached + 1)
	if made != maxCached+100+1 {
		t.Errorf("made %d sets, want %d", made, maxCached+101)
	}
}

func TestRoute(t *testing.T) {
	for pattern, want := range map[string]string{
		"":                          "",
		"/":                         "/",
		"GET /items/{id}":           "/items/{id}",
		"POST\t /x":                 "/x",
		"api.example.com/":          "api.example.com/",
		"DELETE api.example.com/x/": "api.example.com/x/",
	} {
		if got := route(pattern); got != want {
			t.Errorf("route(%q) = %q, want %q", pattern, got, want)
		}
	}
}
