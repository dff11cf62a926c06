//go:build !race

package password_test

const raceEnabled = false
