package jwtauth

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// excluder decides which requests skip authentication, with a ServeMux of its
// own so that Config.Exclude patterns mean exactly what net/http says, for
// the path as the ServeMux reads it (escaped) and as the handlers behind the
// middleware read it (decoded): a request is excluded only if both are (see
// match).
//
// ServeMux answers a request that no pattern matches at a cost that grows
// with the patterns, allocating as it backtracks through its tree. Protected
// requests are that case, and most requests are protected, so a tree of the
// patterns' path segments, per host, sends to the ServeMux only the requests
// that some pattern could match, and answers the rest without allocating.
// The tree may pass a request that no pattern matches (the ServeMux then
// says so), never the reverse: it ignores methods, and treats every
// trailing-slash subtree and "{x...}" as matching whatever follows.
type excluder struct {
	mux   *http.ServeMux
	hosts map[string]*segNode // by pattern host; "" for patterns without one
	// any is the tree of every pattern, whatever its host: a path it
	// cannot match no host's tree can, and it is asked first, so that a
	// protected request costs one walk, without a host lookup, however
	// many hosts the patterns name.
	any *segNode
}

// segNode is a node of the segment tree: the patterns that have matched the
// path so far, and what they need of the rest.
type segNode struct {
	lits     map[string]*segNode // a literal next segment, unescaped as ServeMux does
	wild     *segNode            // a "{x}" next segment
	multi    bool                // a trailing slash or "{x...}": any rest
	end      bool                // a pattern ends here: no rest
	endSlash bool                // "{$}": the rest is "/"
}

// excluded is the handler registered for every exclusion pattern. ServeMux
// answers other requests with its own handlers: NotFound, 405, and redirects
// for non-canonical paths ("/a/../b", "/static" for "/static/"), which report
// a pattern too. Only this handler type means "matched", so a path that
// needs cleaning is never excluded.
type excluded struct{}

func (excluded) ServeHTTP(http.ResponseWriter, *http.Request) {}

// newExcluder compiles patterns, in the order given, for match. Besides what
// ServeMux refuses, it refuses what patternError says (other routers'
// syntax, odd methods, paths no excluded request has), and a pattern that
// excludes every request, or every request of a method or a host ("/",
// "/{rest...}", "GET /", "api.example.com/", "/{tenant}/"), unless
// insecureAll: a pattern like that turns authentication off for nearly
// every route, silently. Its errors name patterns by their index.
func newExcluder(patterns []string, insecureAll bool) (*excluder, error) {
	e := &excluder{mux: http.NewServeMux(), hosts: map[string]*segNode{}, any: new(segNode)}
	for i, p := range patterns {
		if why := patternError(p); why != "" {
			return nil, configError("Exclude[%d]: %q %s", i, p, why)
		}
		if !insecureAll {
			if why := excludesAll(p); why != "" {
				return nil, configError("Exclude[%d]: %q %s", i, p, why)
			}
		}
		if !register(e.mux, p) {
			return nil, conflictError(patterns, i)
		}
		e.index(p)
	}
	return e, nil
}

// splitPattern splits p as ServeMux does: "[METHOD ][HOST]/[PATH]". The
// path is "" when p has no '/'.
func splitPattern(p string) (method, host, path string) {
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		method, p = p[:i], strings.TrimLeft(p[i+1:], " \t")
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return method, p, ""
	}
	return method, p[:i], p[i:]
}

// excludesAll says how p excludes every request of its method and host, or
// every one below a path of wildcards only; "" if it does not. Such a
// pattern has no literal segment and ends in a subtree: "/", "/{rest...}",
// "/{tenant}/".
func excludesAll(p string) string {
	method, host, path := splitPattern(p)
	if path == "" {
		return ""
	}
	segs := strings.Split(path[1:], "/")
	last := segs[len(segs)-1]
	if last != "" && !strings.HasSuffix(last, "...}") {
		return ""
	}
	for _, seg := range segs[:len(segs)-1] {
		if !strings.HasPrefix(seg, "{") {
			return ""
		}
	}
	var scope string
	if host != "" {
		scope += " to " + host
	}
	switch method {
	case "":
	case http.MethodGet:
		scope += " with GET or HEAD"
	default:
		scope += " with " + method
	}
	if len(segs) == 1 {
		root := strings.TrimSuffix(p, path) + "/{$}"
		return fmt.Sprintf("excludes every request%s, which turns authentication off; write %q to exclude the root only, or set InsecureExcludeEverything", scope, root)
	}
	return fmt.Sprintf("excludes every request%s below %q, which turns authentication off for nearly every route; begin the path with a literal segment, or set InsecureExcludeEverything", scope, path)
}

// index adds pattern p, which ServeMux accepted, to the segment tree of its
// host and to the tree of all.
func (e *excluder) index(p string) {
	_, host, path := splitPattern(p)
	n := e.hosts[host]
	if n == nil {
		n = new(segNode)
		e.hosts[host] = n
	}
	n.insert(path)
	e.any.insert(path)
}

// insert adds the path of a pattern below n.
func (n *segNode) insert(path string) {
	for {
		if path == "/" {
			n.multi = true
			return
		}
		seg, _, _ := strings.Cut(path[1:], "/")
		path = path[1+len(seg):]
		switch {
		case seg == "{$}":
			n.endSlash = true
			return
		case strings.HasSuffix(seg, "...}"):
			n.multi = true
			return
		case strings.HasPrefix(seg, "{"):
			if n.wild == nil {
				n.wild = new(segNode)
			}
			n = n.wild
		default:
			if u, err := url.PathUnescape(seg); err == nil {
				seg = u
			}
			if n.lits == nil {
				n.lits = map[string]*segNode{}
			}
			c := n.lits[seg]
			if c == nil {
				c = new(segNode)
				n.lits[seg] = c
			}
			n = c
		}
		if path == "" {
			n.end = true
			return
		}
	}
}

// mayMatch reports whether some pattern could match r, whose path is
// canonical, by the segment tree. It reads the decoded path, r.URL.Path:
// match excludes only a request whose decoded path a pattern matches, and
// the segments of that path are the ones ServeMux reads from its escaped
// form when RawPath is empty. It answers true for CONNECT, which ServeMux
// matches on other fields.
func (e *excluder) mayMatch(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		return true
	}
	if !e.any.may(r.URL.Path) {
		return false
	}
	if e.hosts[""].may(r.URL.Path) {
		return true
	}
	if len(e.hosts) > 1 || e.hosts[""] == nil {
		return e.hosts[stripHostPort(r.Host)].may(r.URL.Path)
	}
	return false
}

// may reports whether a pattern below n could match path, the rest of a
// request path: empty, or starting with "/".
func (n *segNode) may(path string) bool {
	switch {
	case n == nil:
		return false
	case n.multi:
		return true
	case path == "":
		return n.end
	case path == "/" && n.endSlash:
		return true
	}
	seg, _, _ := strings.Cut(path[1:], "/")
	rest := path[1+len(seg):]
	if n.lits[seg].may(rest) {
		return true
	}
	return seg != "" && n.wild.may(rest)
}

// stripHostPort is net/http's: the host ServeMux matches host patterns
// against.
func stripHostPort(h string) string {
	if !strings.Contains(h, ":") {
		return h
	}
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		return h
	}
	return host
}

// patternError says why p is not a pattern newExcluder takes; "" if it is.
// It takes what a ServeMux takes, but for three kinds of pattern that a
// ServeMux accepts and that, in an Exclude list, exclude nothing or not
// what they seem to:
//
//   - a method that is not an upper-case token followed by exactly one
//     space: ServeMux takes "get /x" as a method "get" that no client
//     sends, "GET\t/x" and "GET  /x" as "GET /x", and "BAD METHOD /x" as
//     host "METHOD " (space included);
//   - another router's syntax: a segment "*" or "**", or one that starts
//     with '*' or ':' ("/docs/*", "/posts/:id", "/a/*b"). These are
//     literals to ServeMux, which match only a request for that very path;
//     a literal '*' or ':' can be escaped ("%2A", "%3A");
//   - a path no excluded request has: "//", a "." or ".." segment, or a
//     literal that decodes to something with '/', '\' or '%' in it.
//
// The ServeMux it asks holds p alone, and its panic then tells a parse
// error, whose message has no location: a conflict, which needs two
// patterns, is the error whose message quotes file:line.
func patternError(p string) string {
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		method, rest := p[:i], p[i+1:]
		if p[i] != ' ' || !isMethod(method) || rest == "" || strings.ContainsAny(rest, " \t") {
			if fix := methodFix(method, rest); fix != "" {
				return fmt.Sprintf("is not a net/http pattern; write %q", fix)
			}
			return `is not a net/http pattern: write "METHOD /path", with an upper-case method and one space, or "/path" for every method`
		}
	}
	if msg := parseError(p); msg != "" {
		return "is not a net/http pattern: " + msg
	}
	_, _, path := splitPattern(p)
	segs := strings.Split(path[1:], "/")
	for k, seg := range segs {
		switch {
		case seg == "" && k < len(segs)-1:
			return `can never match: a path with "//" is never excluded`
		case seg == "*" || seg == "**" || strings.HasPrefix(seg, "*") || strings.HasPrefix(seg, ":"):
			if fix := routerFix(p, path); fix != "" {
				return fmt.Sprintf("is not a net/http pattern; write %q", fix)
			}
			return fmt.Sprintf(`is not a net/http pattern: %q is another router's syntax; ServeMux writes "{name}" for one segment, "{name...}" or a final "/" for the rest (a literal '*' or ':' is "%%2A" or "%%3A")`, seg)
		case strings.HasPrefix(seg, "{"):
			continue
		}
		u, err := url.PathUnescape(seg)
		if err != nil {
			u = seg // ServeMux takes it as it is
		}
		switch {
		case u == "." || u == "..":
			return `can never match: a path with a "." or ".." segment is never excluded`
		case strings.Contains(u, "/"):
			return `can never match: an escaped "/" is a "/" to the handlers, and no excluded path has one inside a segment`
		case strings.ContainsAny(u, `%\`):
			return `can never match: no excluded path has a '%' or a '\' once decoded`
		}
	}
	return ""
}

// isMethod reports whether m is an upper-case token (RFC 9110 §5.6.2).
func isMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := range len(m) {
		c := m[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// methodFix is the pattern method+rest probably meant, with an upper-case
// method and one space, if that is one newExcluder takes; "" if not.
func methodFix(method, rest string) string {
	rest = strings.TrimLeft(rest, " \t")
	fix := rest
	if method != "" {
		method = strings.ToUpper(method)
		if !isMethod(method) {
			return ""
		}
		fix = method + " " + rest
	}
	if rest == "" || strings.ContainsAny(rest, " \t") || patternError(fix) != "" || excludesAll(fix) != "" {
		return ""
	}
	return fix
}

// routerFix is ServeMux's spelling of p, whose path is path in another
// router's syntax: ":id" is "{id}", a final "*" or "**" a final "/", a
// final "*name" "{name...}". It is "" if there is none, or if the fix
// would exclude every request.
func routerFix(p, path string) string {
	segs := strings.Split(path[1:], "/")
	for k, seg := range segs {
		last := k == len(segs)-1
		switch {
		case seg == "*" || seg == "**":
			if !last {
				return ""
			}
			segs[k] = ""
		case strings.HasPrefix(seg, "*"):
			if !last {
				return ""
			}
			segs[k] = "{" + seg[1:] + "...}"
		case strings.HasPrefix(seg, ":"):
			segs[k] = "{" + seg[1:] + "}"
		}
	}
	fix := strings.TrimSuffix(p, path) + "/" + strings.Join(segs, "/")
	if patternError(fix) != "" || excludesAll(fix) != "" {
		return ""
	}
	return fix
}

// parseError is ServeMux's reason to refuse p, alone; "" if it takes it.
func parseError(p string) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
			msg = strings.TrimPrefix(msg, fmt.Sprintf("parsing %q: ", p))
			msg = strings.TrimPrefix(msg, "http: ")
			if strings.Contains(msg, ".go:") {
				msg = "invalid pattern" // never a path of this machine
			}
		}
	}()
	http.NewServeMux().Handle(p, excluded{})
	return ""
}

// register adds p, which ServeMux parses, to mux; false if p conflicts with
// a pattern mux has.
func register(mux *http.ServeMux, p string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	mux.Handle(p, excluded{})
	return true
}

// conflictError is the error for patterns[i], which conflicts with an
// earlier pattern: ServeMux's own message would show the file and line of
// the registration, inside this package.
func conflictError(patterns []string, i int) error {
	p := patterns[i]
	for j, q := range patterns[:i] {
		if q == p {
			return configError("Exclude[%d]: %q repeats Exclude[%d]", i, p, j)
		}
		mux := http.NewServeMux()
		mux.Handle(q, excluded{})
		if !register(mux, p) {
			return configError("Exclude[%d]: %q conflicts with Exclude[%d] %q", i, p, j, q)
		}
	}
	return configError("Exclude[%d]: %q conflicts with an earlier pattern", i, p)
}

// match reports whether r is excluded.
//
// ServeMux matches the escaped path (URL.EscapedPath, from RawPath), while
// the handlers behind the middleware read the decoded one, URL.Path:
// http.FileServer, http.StripPrefix and most routers do. The two views
// disagree whenever an escape decodes to a character that matters to a
// path. "/files/private%2Fsecret.txt" is one segment to ServeMux, and
// matches "/files/{name}", while a file server reads
// "/files/private/secret.txt"; "/public/%2e%2e/private" is under
// "/public/" to ServeMux, and "/public/../private" to the file server. So
// r is excluded only if both views are: the request as it is, and the same
// request with its path written from URL.Path alone. The decoded path must
// also be canonical, and hold no '%' and no '\': a '%' left after decoding
// means the request was encoded twice ("%252F"), for a handler that
// decodes again, and some handlers and file systems read '\' as a
// separator. CONNECT requests, which ServeMux does not clean at all, get
// the same checks.
func (e *excluder) match(r *http.Request) bool {
	p := r.URL.Path
	if !isCanonical(p) || strings.ContainsAny(p, `%\`) || !e.mayMatch(r) || !e.muxMatch(r) {
		return false
	}
	if r.URL.RawPath == "" {
		// EscapedPath is written from Path: the ServeMux saw the
		// decoded view already.
		return true
	}
	return e.muxMatch(decodedView(r))
}

// muxMatch reports whether the ServeMux routes r to an exclusion pattern.
func (e *excluder) muxMatch(r *http.Request) bool {
	h, _ := e.mux.Handler(r)
	_, ok := h.(excluded)
	return ok
}

// decodedView returns a shallow copy of r whose URL has no RawPath, so that
// its escaped path is written from the decoded one: ServeMux then splits
// the path where the handlers behind the middleware do.
func decodedView(r *http.Request) *http.Request {
	u := *r.URL
	u.RawPath = ""
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = &u
	return r2
}

// isCanonical reports whether p is an absolute path that path.Clean leaves
// alone, but for a trailing slash: no "//", ".", ".." segments.
func isCanonical(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}
