package issuer

// Tick runs one round of i's fleet loop now, as the background does every
// Poll: tests with a fake clock advance it and tick.
func Tick(i *Issuer) {
	f := i.fleet
	f.mu.Lock()
	defer f.mu.Unlock()
	i.tick(f)
}

// CheckPublicKey is checkPublicKey, for the attack rows.
var CheckPublicKey = checkPublicKey
