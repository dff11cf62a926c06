// Command targets reads `go test -bench -benchmem` output of the bench module
// (and, optionally, of ../password), takes the median of every benchmark over
// its runs, and prints the medians as markdown tables (the README's, and one
// row per contender with ns/op, B/op, allocs/op and the ratio to authkit) and
// the ratios that the performance targets name, each marked met or not met.
// Lines of ../http.sh ("HTTP/path=cold 41234.5 req/s 21.3 cpu-us/req") in any
// of the files give the HTTP table and its targets; -http prints only those.
//
//	go run ./targets bench.txt [password.txt] [http.txt]
//	go run ./targets -http http.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is one benchmark's runs.
type result struct {
	ns, bytes, allocs []float64
	ratio             []float64 // a "ratio" metric (BenchmarkExclusionsPaired)
}

// ratioMetric matches the "ratio" metric of a benchmark line.
var ratioMetric = regexp.MustCompile(`\s([\d.]+) ratio(\s|$)`)

// line matches a benchmark result with -benchmem; the name loses its
// "Benchmark" prefix and "-GOMAXPROCS" suffix.
var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

// httpLine matches a line of ../http.sh.
var httpLine = regexp.MustCompile(`^HTTP/path=(\S+)\s+([\d.]+) req/s\s+([\d.]+) cpu-us/req`)

// httpRuns are the runs of each HTTP path: requests per second and the
// server's CPU µs per request.
var httpRuns = map[string]*struct{ rps, cpu []float64 }{}

func parse(r io.Reader, into map[string]*result) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := httpLine.FindStringSubmatch(sc.Text()); m != nil {
			h := httpRuns[m[1]]
			if h == nil {
				h = &struct{ rps, cpu []float64 }{}
				httpRuns[m[1]] = h
			}
			rps, _ := strconv.ParseFloat(m[2], 64)
			cpu, _ := strconv.ParseFloat(m[3], 64)
			h.rps, h.cpu = append(h.rps, rps), append(h.cpu, cpu)
			continue
		}
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		res := into[m[1]]
		if res == nil {
			res = &result{}
			into[m[1]] = res
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		res.ns = append(res.ns, ns)
		if r := ratioMetric.FindStringSubmatch(sc.Text()); r != nil {
			v, _ := strconv.ParseFloat(r[1], 64)
			res.ratio = append(res.ratio, v)
		}
		if m[3] != "" {
			by, _ := strconv.ParseFloat(m[3], 64)
			res.bytes = append(res.bytes, by)
			a, _ := strconv.ParseFloat(m[4], 64)
			res.allocs = append(res.allocs, a)
		}
	}
	return sc.Err()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

var results = map[string]*result{}

// get returns the median ns/op and allocs/op of name, and whether it ran.
func get(name string) (ns, allocs float64, ok bool) {
	ns, _, allocs, ok = getMem(name)
	return ns, allocs, ok
}

// getMem returns the median ns/op, B/op and allocs/op of name, and whether
// it ran.
func getMem(name string) (ns, bytes, allocs float64, ok bool) {
	r := results[name]
	if r == nil {
		return 0, 0, 0, false
	}
	return median(r.ns), median(r.bytes), median(r.allocs), true
}

// fmtBytes prints a size in bytes with a readable unit.
func fmtBytes(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// fmtNS prints a duration in ns with a readable unit.
func fmtNS(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

var algNames = []string{"HS256", "RS256", "ES256", "EdDSA"}

// labels are the column heads of the README's tables: each peer with the
// major that contenders_test.go imports.
var labels = map[string]string{
	"authkit":         "authkit",
	"authkit-nocache": "authkit, `DisableCache`",
	"chi":             "go-chi/jwtauth v5",
	"auth0":           "auth0 go-jwt-middleware v3",
	"echo":            "echo-jwt v5",
	"gin":             "gin-jwt v3",
	"floor":           "floor",
}

// table prints the medians of scenario ("Cold" or "Warm") as the README's
// table: one row per algorithm, ns/op · allocs/op in each cell.
func table(scenario string, impls []string) {
	fmt.Printf("\n%s, median ns/op · allocs/op (%s runs):\n\n", scenario, runs(scenario))
	heads := []string{scenario}
	for _, impl := range impls {
		heads = append(heads, labels[impl])
	}
	fmt.Printf("| %s |\n|---|%s\n", strings.Join(heads, " | "), strings.Repeat("---:|", len(impls)))
	for _, a := range algNames {
		cells := []string{a}
		for _, impl := range impls {
			ns, allocs, ok := get(fmt.Sprintf("%s/alg=%s/impl=%s", scenario, a, impl))
			if !ok {
				cells = append(cells, "–")
				continue
			}
			cells = append(cells, fmt.Sprintf("%s · %.0f", fmtNS(ns), allocs))
		}
		fmt.Printf("| %s |\n", strings.Join(cells, " | "))
	}
}

// detail prints the medians of scenario with one row per algorithm and
// contender: ns/op, B/op, allocs/op, and ns/op as a multiple of authkit's
// (default config) for the same algorithm.
func detail(scenario string, impls []string) {
	fmt.Printf("\n%s, medians (%s runs); × authkit is ns/op over authkit's:\n\n", scenario, runs(scenario))
	fmt.Println("| alg | contender | ns/op | B/op | allocs/op | × authkit |\n|---|---|---:|---:|---:|---:|")
	for _, a := range algNames {
		base, _, _, baseOK := getMem(fmt.Sprintf("%s/alg=%s/impl=authkit", scenario, a))
		for _, impl := range impls {
			ns, bytes, allocs, ok := getMem(fmt.Sprintf("%s/alg=%s/impl=%s", scenario, a, impl))
			if !ok {
				continue
			}
			ratio := "–"
			if baseOK && base > 0 {
				ratio = fmt.Sprintf("%.2f×", ns/base)
			}
			fmt.Printf("| %s | %s | %s | %s | %.0f | %s |\n", a, labels[impl], fmtNS(ns), fmtBytes(bytes), allocs, ratio)
		}
	}
}

// runs reports how many runs the benchmarks under prefix have, as "n" or
// "n–m".
func runs(prefix string) string {
	lo, hi := 1<<30, 0
	for name, r := range results {
		if strings.HasPrefix(name, prefix+"/") {
			lo, hi = min(lo, len(r.ns)), max(hi, len(r.ns))
		}
	}
	if hi == 0 {
		return "0"
	}
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

var met, notMet int

// check prints one target: num/den ≤ limit.
func check(what, num, den string, limit float64) {
	a, _, ok1 := get(num)
	b, _, ok2 := get(den)
	if !ok1 || !ok2 || b == 0 {
		fmt.Printf("| %s | (not run) | ≤ %.2f× | – |\n", what, limit)
		return
	}
	ratio := a / b
	fmt.Printf("| %s | %s / %s = %.2f× | ≤ %.2f× | %s |\n", what, fmtNS(a), fmtNS(b), ratio, limit, verdict(ratio <= limit))
}

// checkAbs prints one absolute target on a median.
func checkAbs(what, name string, maxNS, maxAllocs float64) {
	ns, allocs, ok := get(name)
	if !ok {
		fmt.Printf("| %s | (not run) | ≤ %s, ≤ %.0f allocs | – |\n", what, fmtNS(maxNS), maxAllocs)
		return
	}
	fmt.Printf("| %s | %s, %.0f allocs | ≤ %s, ≤ %.0f allocs | %s |\n",
		what, fmtNS(ns), allocs, fmtNS(maxNS), maxAllocs, verdict(ns <= maxNS && allocs <= maxAllocs))
}

// checkRatio prints one target on the median of name's ratio metric.
func checkRatio(what, name string, limit float64) {
	r := results[name]
	if r == nil || len(r.ratio) == 0 {
		fmt.Printf("| %s | (not run) | ≤ %.2f× | – |\n", what, limit)
		return
	}
	v := median(r.ratio)
	fmt.Printf("| %s | %.3f× (median of %d) | ≤ %.2f× | %s |\n", what, v, len(r.ratio), limit, verdict(v <= limit))
}

// checkAllocs prints one target on the median allocs/op of name.
func checkAllocs(what, name string, maxAllocs float64) {
	_, allocs, ok := get(name)
	if !ok {
		fmt.Printf("| %s | (not run) | ≤ %.0f allocs | – |\n", what, maxAllocs)
		return
	}
	fmt.Printf("| %s | %.0f allocs | ≤ %.0f allocs | %s |\n", what, allocs, maxAllocs, verdict(allocs <= maxAllocs))
}

// httpTable prints the HTTP medians, one row per path, with requests per
// second as a multiple of /none's; false if there are none.
func httpTable() bool {
	none := httpRuns["none"]
	if none == nil {
		return false
	}
	fmt.Printf("\nThrough HTTP on loopback (wrk, bench/http.sh), medians of %d rounds:\n\n", len(none.rps))
	fmt.Println("| path | req/s | × no auth | server CPU per request | server CPU busy |\n|---|---:|---:|---:|---:|")
	for _, p := range []struct{ path, label string }{{"none", "no auth"}, {"cold", "authkit, cold HS256"}, {"warm", "authkit, warm HS256"}} {
		h := httpRuns[p.path]
		if h == nil {
			continue
		}
		// busy: the share of its core the server used, req/s × CPU per
		// request; well under 100% means the server was not what limited
		// the rate (wrk, or the machine's other load, was).
		fmt.Printf("| %s | %.0f | %.2f× | %.1f µs | %.0f%% |\n", p.label, median(h.rps), median(h.rps)/median(none.rps), median(h.cpu), median(h.rps)*median(h.cpu)/1e4)
	}
	return true
}

// checkHTTP prints one HTTP target: path's req/s at least limit × /none's.
func checkHTTP(what, path string, limit float64) {
	h, none := httpRuns[path], httpRuns["none"]
	if h == nil || none == nil {
		fmt.Printf("| %s | (not run) | ≥ %.2f× | – |\n", what, limit)
		return
	}
	ratio := median(h.rps) / median(none.rps)
	fmt.Printf("| %s | %.0f / %.0f req/s = %.2f× | ≥ %.2f× | %s |\n", what, median(h.rps), median(none.rps), ratio, limit, verdict(ratio >= limit))
}

func verdict(ok bool) string {
	if ok {
		met++
		return "met"
	}
	notMet++
	return "**not met**"
}

func main() {
	args := os.Args[1:]
	httpOnly := len(args) > 0 && args[0] == "-http"
	if httpOnly {
		args = args[1:]
	}
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: targets bench.txt [password.txt] [http.txt]\n       targets -http http.txt")
		os.Exit(2)
	}
	for _, path := range args {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err = parse(f, results)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}

	if httpOnly {
		httpTable()
		fmt.Printf("\n| target | measured | limit | verdict |\n|---|---|---|---|\n")
		checkHTTP("HTTP cold HS256 vs no auth", "cold", 0.88)
		checkHTTP("HTTP warm HS256 vs no auth", "warm", 0.95)
		fmt.Printf("\n%d met, %d not met\n", met, notMet)
		return
	}
	cold := []string{"authkit", "authkit-nocache", "chi", "auth0", "echo", "gin", "floor"}
	warm := cold[:len(cold)-1]
	table("Cold", cold)
	table("Warm", warm)
	detail("Cold", cold)
	detail("Warm", warm)
	hasHTTP := httpTable()

	fmt.Printf("\nTargets (ratios of medians from the same run):\n\n")
	fmt.Println("| target | measured | limit | verdict |\n|---|---|---|---|")
	checkAllocs("Cold HS256, authkit", "Cold/alg=HS256/impl=authkit", 6)
	for _, impl := range []string{"authkit-nocache", "authkit"} {
		check("Cold HS256, "+impl+" vs echo-jwt", "Cold/alg=HS256/impl="+impl, "Cold/alg=HS256/impl=echo", 0.6)
		for _, a := range algNames {
			check("Cold "+a+", "+impl+" vs floor (base64+verify+json)", "Cold/alg="+a+"/impl="+impl, "Cold/alg="+a+"/impl=floor", 1.0)
		}
	}
	for _, a := range algNames {
		checkAbs("Warm "+a+", authkit", "Warm/alg="+a+"/impl=authkit", 400, 2)
	}
	for _, paths := range []string{"apart", "shared"} {
		prefix := "Exclusions/paths=" + paths + "/mode="
		checkAbs("Warm HS256, authkit with 1000 Exclude patterns ("+paths+")", prefix+"warm/patterns=1000", 400, 2)
		for _, mode := range []string{"warm", "cold"} {
			check("Exclusions ("+paths+"), "+mode+", 1000 vs 1 pattern", prefix+mode+"/patterns=1000", prefix+mode+"/patterns=1", 1.05)
			checkRatio("Exclusions ("+paths+"), "+mode+", 1000 vs 1 pattern, paired", "ExclusionsPaired/paths="+paths+"/mode="+mode, 1.05)
		}
	}
	if hasHTTP {
		checkHTTP("HTTP cold HS256 vs no auth", "cold", 0.88)
		checkHTTP("HTTP warm HS256 vs no auth", "warm", 0.95)
	}
	for _, a := range []string{"HS256", "ES256"} {
		check("KeySet "+a+", cold, 1000 vs 1 key", "KeySet/alg="+a+"/keys=1000", "KeySet/alg="+a+"/keys=1", 1.10)
	}
	check("password.Hash vs argon2.IDKey", "Hash", "IDKey", 1.05)
	check("password.Verify vs argon2.IDKey", "Verify", "IDKey", 1.05)
	fmt.Printf("\n%d met, %d not met\n", met, notMet)
}
