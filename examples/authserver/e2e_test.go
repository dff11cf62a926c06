package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is an example program running as its own process.
type process struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  strings.Builder
}

var listening = regexp.MustCompile(`listening"? url=http://(\S+)`)

// start runs bin with args and waits for its "listening" log line.
func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...)}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", filepath.Base(bin), p.logs())
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p.addr = <-addrc:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", bin, p.logs())
	}
	return p
}

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

func postForm(t *testing.T, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	res, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func kid(t *testing.T, token string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Kid string }
	json.Unmarshal(h, &hdr)
	return hdr.Kid
}

// Two real services: authserver signs, resource verifies through the JWKS.
// The authserver's key is rotated (SIGHUP) while both run, and resource
// accepts tokens under the new kid without a restart.
func TestTwoServicesWithRotation(t *testing.T) {
	dir := t.TempDir()
	authBin := build(t, dir, "github.com/authkit-go/authkit/examples/authserver")
	resBin := build(t, dir, "github.com/authkit-go/authkit/examples/resource")

	auth := start(t, authBin, "-addr", "127.0.0.1:0")
	issuer := "http://" + auth.addr
	res := start(t, resBin, "-addr", "127.0.0.1:0",
		"-jwks-url", issuer+"/.well-known/jwks.json", "-issuer", issuer)
	api := "http://" + res.addr

	if code, body := get(t, api+"/healthz", ""); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, _ := get(t, api+"/me", ""); code != http.StatusUnauthorized {
		t.Fatalf("/me without token: %d", code)
	}

	login := func() string {
		code, body := postForm(t, issuer+"/token", url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"1234"}})
		tok, _ := body["access_token"].(string)
		if code != 200 || tok == "" || body["token_type"] != "bearer" {
			t.Fatalf("password grant: %d %v", code, body)
		}
		return tok
	}
	before := login()
	code, body := get(t, api+"/me", before)
	var claims map[string]any
	json.Unmarshal([]byte(body), &claims)
	if code != 200 || claims["sub"] != "admin" || claims["iss"] != issuer {
		t.Fatalf("/me: %d %s", code, body)
	}
	if code, _ := get(t, api+"/items", before); code != 200 {
		t.Errorf("/items with scope items:read: %d", code)
	}

	// Rotate the authserver's key, as an operator would.
	auth.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(auth.logs(), "rotated the signing key") {
		if time.Now().After(deadline) {
			t.Fatal("no rotation logged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	after := login()
	if kid(t, after) == kid(t, before) {
		t.Fatal("the new token has the old kid")
	}
	if code, body := get(t, api+"/me", after); code != 200 {
		t.Fatalf("token of the rotated key: %d %s", code, body)
	}
	if code, _ := get(t, api+"/me", before); code != 200 {
		t.Errorf("token of the previous key, still within its lifetime: %d", code)
	}

	// A token from another server is refused.
	other := start(t, authBin, "-addr", "127.0.0.1:0", "-issuer", issuer)
	code, body2 := postForm(t, "http://"+other.addr+"/token", url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"1234"}})
	forged, _ := body2["access_token"].(string)
	if code != 200 || forged == "" {
		t.Fatalf("other server: %d", code)
	}
	if code, _ := get(t, api+"/me", forged); code != http.StatusUnauthorized {
		t.Errorf("token of another server's key: %d", code)
	}
}
