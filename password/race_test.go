//go:build race

package password_test

// raceEnabled reports whether the race detector is on; it slows bcrypt
// about twentyfold, so timing tests take fewer samples.
const raceEnabled = true
